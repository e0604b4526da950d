import { registerErrorType } from "../io/error-data";
import type { FetchProblem } from "../io/source";

/** A crop that failed at one tile: names the source, the tile and the reason. */
export class CropError extends Error {
  override readonly name = "CropError";
  constructor(
    readonly source: string,
    readonly tile: { z: number; x: number; y: number } | null,
    readonly reason: string,
    /** What went wrong reading the tile, as data, where a fetch failed. */
    readonly problem: FetchProblem | null = null,
  ) {
    super(`${source}${tile ? ` tile ${tile.z}/${tile.x}/${tile.y}` : ""}: ${reason}`);
  }
}

registerErrorType("CropError", CropError);
