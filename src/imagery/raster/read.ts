import { FetchSourceError } from "../../io/source";
import { type OpenedRaster, RasterReadError, refuse } from "./open-raster";
import { drawTile, planTile } from "./render-tile";

/** Decoded tiles kept per level (geotiff.js's cache), about 50 MB of 8-bit RGB 256-px tiles. */
const DECODED_TILES_KEPT = 256;

/** Empties a level's decoded-tile cache when it has grown past {@link DECODED_TILES_KEPT}. */
function boundDecodedTiles(raster: OpenedRaster, level: number): void {
  const image = raster.images[level];
  if (!image.tiles) return;
  // The cache is a sparse array indexed by tile: its keys are the tiles kept.
  if (Object.keys(image.tiles).length > DECODED_TILES_KEPT) image.tiles = [];
}

/**
 * Reads `[left, top, right, bottom]` of one level as RGBA by range reads of the tiles it covers (geotiff.js decodes
 * them; grey, palette, YCbCr and CMYK become RGB). Read failures come back as {@link RasterReadError}.
 */
export async function readWindowRgba(
  raster: OpenedRaster,
  level: number,
  window: [number, number, number, number],
  signal?: AbortSignal,
): Promise<Uint8ClampedArray> {
  const [left, top, right, bottom] = window;
  const pixels = (right - left) * (bottom - top);
  let samples: ArrayLike<number>;
  try {
    const rgb = await raster.images[level].readRGB({ window, interleave: true, enableAlpha: true, signal });
    samples = rgb as unknown as ArrayLike<number>;
  } catch (error) {
    signal?.throwIfAborted();
    throw readFailure(raster, error);
  }
  boundDecodedTiles(raster, level);
  raster.info.bytesRead = raster.reader.bytesRead;
  const channels = samples.length / pixels;
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    rgba[i * 4] = samples[i * channels];
    rgba[i * 4 + 1] = samples[i * channels + 1];
    rgba[i * 4 + 2] = samples[i * channels + 2];
    rgba[i * 4 + 3] = channels === 4 ? samples[i * channels + 3] : 255;
  }
  return rgba;
}

function readFailure(raster: OpenedRaster, error: unknown): Error {
  const { name } = raster.info;
  if (error instanceof FetchSourceError)
    return new RasterReadError(refuse(name, { kind: "fetch", fetch: error.problem }));
  if (raster.reader.wantedPastEnd > raster.reader.fileSize) {
    return new RasterReadError(
      refuse(name, { kind: "truncated", size: raster.reader.fileSize, needed: raster.reader.wantedPastEnd }),
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** One 256-px Web Mercator tile of the raster as RGBA, or null where the tile misses it. */
export async function renderRasterTile(
  raster: OpenedRaster,
  z: number,
  x: number,
  y: number,
  signal?: AbortSignal,
): Promise<Uint8ClampedArray | null> {
  const plan = planTile(raster.info, z, x, y);
  if (!plan) return null;
  const rgba = await readWindowRgba(raster, plan.level, plan.window, signal);
  return drawTile(plan, rgba);
}
