import { FetchSourceError } from "../../io/source";
import { type OpenedRaster, RasterReadError, refuse } from "./open-raster";
import { drawTile, planTile } from "./render-tile";

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
