import { callImagery, type RasterSourceRef } from "../crop";
import type { RasterInfo, RasterRefusal } from "./open-raster";

const bytesRead = new Map<string, number>();
const listeners = new Set<() => void>();

/** Bytes read so far from a GeoTIFF source (header, tile index, tiles, crops). */
export function rasterBytesRead(id: string): number {
  return bytesRead.get(id) ?? 0;
}

/** Calls `listener` whenever a GeoTIFF source has read more bytes; returns the unsubscribe function. */
export function onRasterBytesRead(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Records the bytes a source has read, as the imagery worker reports them. */
export function noteRasterBytesRead(id: string, total: number): void {
  if (total <= (bytesRead.get(id) ?? 0)) return;
  bytesRead.set(id, total);
  for (const listener of listeners) listener();
}

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
