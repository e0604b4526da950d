import { PMTiles, TileType } from "pmtiles";
import { PmtilesByteSource } from "../../io/pmtiles-source";
import { type FetchProblem, FetchSource, FetchSourceError, fetchOrProblem } from "../../io/source";
import { CropError } from "../crop-error";
import type { TileReader, TileSourceSpec } from "../types";
import { expandUrlTemplate } from "../url-template";

/** Reads XYZ/TMS tiles over HTTP with CORS; 404 and 204 mean "no tile". */
export class XyzTileReader implements TileReader {
  constructor(
    private readonly spec: Extract<TileSourceSpec, { kind: "xyz" }>,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  async getTile(z: number, x: number, y: number, signal?: AbortSignal): Promise<Blob | null> {
    const url = expandUrlTemplate(this.spec.urlTemplate, z, x, y);
    let response: Response;
    try {
      response = await fetchOrProblem(url, { signal }, this.fetchFn);
    } catch (error) {
      if (!(error instanceof FetchSourceError)) throw error;
      const { problem } = error;
      if (problem.kind === "http-status" && problem.status === 404) return null;
      throw new CropError(this.spec.name, { z, x, y }, tileProblemText(url, problem), problem);
    }
    if (response.status === 204) return null;
    return response.blob();
  }
}

/** Why a tile could not be read, and what to do. */
function tileProblemText(url: string, problem: FetchProblem): string {
  switch (problem.kind) {
    case "no-cors":
      return (
        `the tile server does not allow cross-origin reads (no CORS header) for ${url}. ` +
        "Use a CORS-enabled source, the offline archive, or pack the area into a PMTiles file with `npm run pack-area`."
      );
    case "unreachable":
      return `${url} cannot be reached; check the template's host and the network.`;
    case "http-status":
      return `the server answered HTTP ${problem.status} for ${url}; check the template and that the server serves tiles to this page.`;
    default:
      return new FetchSourceError(url, problem).message;
  }
}

const pmtilesMime: Partial<Record<TileType, string>> = {
  [TileType.Png]: "image/png",
  [TileType.Jpeg]: "image/jpeg",
  [TileType.Webp]: "image/webp",
  [TileType.Avif]: "image/avif",
};

/** A PMTiles archive at a URL (relative to the page), read by range through the project's `FetchSource`. */
export function pmtilesArchive(url: string): PMTiles {
  return new PMTiles(new PmtilesByteSource(new FetchSource(new URL(url, globalThis.location?.href).href)));
}

/** Reads raster tiles from a PMTiles archive by HTTP range requests. */
export class PmtilesTileReader implements TileReader {
  private readonly archive: PMTiles;
  constructor(private readonly spec: Extract<TileSourceSpec, { kind: "pmtiles" }>) {
    this.archive = pmtilesArchive(spec.url);
  }

  async getTile(z: number, x: number, y: number, signal?: AbortSignal): Promise<Blob | null> {
    const header = await this.archive.getHeader();
    const mime = pmtilesMime[header.tileType];
    if (!mime) {
      throw new CropError(
        this.spec.name,
        { z, x, y },
        `the archive holds tiles of type ${header.tileType}, not raster images.`,
      );
    }
    const tile = await this.archive.getZxy(z, x, y, signal);
    return tile ? new Blob([tile.data], { type: mime }) : null;
  }
}

/** A tile source read over the network (XYZ/TMS or PMTiles): the sources whose crops stitch tiles. */
export type NetworkTileSourceSpec = Extract<TileSourceSpec, { kind: "xyz" | "pmtiles" }>;

/** The reader of an XYZ/TMS or PMTiles source. */
export function networkTileReader(spec: NetworkTileSourceSpec): TileReader {
  return spec.kind === "xyz" ? new XyzTileReader(spec) : new PmtilesTileReader(spec);
}
