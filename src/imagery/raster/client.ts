import { callImagery } from "../imagery-client";
import type { RasterSourceRef } from "../imagery-messages";
import { noteRasterBytesRead } from "./bytes-read";
import type { RasterInfo, RasterRefusal } from "./open-raster";

/** Opens a GeoTIFF in the imagery worker (header and tile index only), or says why it cannot be used. */
export async function openRasterSource(
  source: RasterSourceRef,
): Promise<{ valid: true; info: RasterInfo } | RasterRefusal> {
  const result = await callImagery("openRaster", source);
  if (result.valid) noteRasterBytesRead(source.id, result.info.bytesRead);
  return result;
}

/** One 256-px Web Mercator tile of a GeoTIFF as PNG bytes, or null where the tile misses it. */
export async function rasterTilePng(
  source: RasterSourceRef,
  z: number,
  x: number,
  y: number,
  signal?: AbortSignal,
): Promise<ArrayBuffer | null> {
  const { png, bytesRead: total } = await callImagery("rasterTile", { source, z, x, y }, { signal });
  noteRasterBytesRead(source.id, total);
  return png;
}

/** Closes every GeoTIFF in the imagery worker but those named, releasing their caches. */
export function releaseRasterSources(keep: string[]): Promise<null> {
  return callImagery("releaseRasters", { keep });
}
