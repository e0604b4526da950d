import { CropError } from "./crop-error";
import type { CropPlan } from "./crop-plan";
import { type CropSurface, cropSurface } from "./surface";
import type { CropProgress, TileReader } from "./types";

/** Tiles fetched at once: browsers allow about six connections per host. */
export const TILE_CONCURRENCY = 6;

/**
 * Fetches the plan's tiles and draws each straight into a surface the size of the crop window, at its offset: the
 * surface clips whatever lies outside, so stitching and cropping are one pass. Runs in a worker, on the main thread,
 * or in Node on the surface it registered.
 */
export async function stitchCrop(
  reader: TileReader,
  plan: CropPlan,
  sourceName: string,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CropSurface> {
  const surface = cropSurface(plan.window.width, plan.window.height);
  let done = 0;
  onProgress({ status: "fetching", done, total: plan.tiles.length });
  await forEachConcurrently(plan.tiles, TILE_CONCURRENCY, async ({ tile, dx, dy }) => {
    const blob = await reader.getTile(tile.z, tile.x, tile.y, signal);
    signal?.throwIfAborted();
    if (!blob)
      throw new CropError(sourceName, tile, "the source has no tile here; choose a lower crop zoom or another source.");
    await drawTile(surface, blob, dx, dy, plan.tileSize, sourceName, tile);
    done++;
    onProgress({ status: "fetching", done, total: plan.tiles.length });
  });
  onProgress({ status: "stitching" });
  return surface;
}

async function drawTile(
  surface: CropSurface,
  blob: Blob,
  dx: number,
  dy: number,
  size: number,
  sourceName: string,
  tile: { z: number; x: number; y: number },
): Promise<void> {
  try {
    await surface.drawTile(blob, dx, dy, size);
  } catch {
    throw new CropError(
      sourceName,
      tile,
      `the tile (${blob.type || "unknown type"}, ${blob.size} bytes) is not an image the browser can decode.`,
    );
  }
}

/** Runs `task` over `items` with at most `limit` at once; the first failure rejects and stops new starts. */
export async function forEachConcurrently<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
