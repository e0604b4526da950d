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
