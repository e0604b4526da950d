import { BlobSource, type ByteSource, FetchSource } from "../../io/source";
import type { RasterLocation } from "../types";
import { type OpenedRaster, openRaster, RasterReadError, type RasterRefusal } from "./open-raster";

/** Where the GeoTIFFs are held open: one per source id, shared by its map tiles and its crops. */
const opened = new Map<string, Promise<OpenedRaster | RasterRefusal>>();

/** The project's byte source for a raster's location: a File read by slices, a URL read by HTTP ranges. */
export function byteSourceFor(location: RasterLocation, name: string): ByteSource {
  return location.kind === "file" ? new BlobSource(location.file, name) : new FetchSource(location.url);
}

/** Opens a raster once per id; later calls share the same open file (header, tile index, reader). */
export function openRasterOnce(
  id: string,
  name: string,
  location: RasterLocation,
): Promise<OpenedRaster | RasterRefusal> {
  let pending = opened.get(id);
  if (!pending) {
    pending = openRaster(byteSourceFor(location, name), name);
    opened.set(id, pending);
    pending.then(
      (result) => {
        if (!result.valid) opened.delete(id);
      },
      () => opened.delete(id),
    );
  }
  return pending;
}

/** The open raster of a source, opening it again if it was released; a refusal is thrown as a typed error. */
export async function rasterFor(source: { id: string; name: string; location: RasterLocation }): Promise<OpenedRaster> {
  const result = await openRasterOnce(source.id, source.name, source.location);
  if (!result.valid) throw new RasterReadError(result);
  return result;
}

/** Closes every raster but those named, freeing their headers and tile indexes. */
export function releaseRasters(keep: string[]): void {
  for (const [id, pending] of opened) {
    if (keep.includes(id)) continue;
    opened.delete(id);
    void pending.then((result) => (result.valid ? result.reader.close() : undefined)).catch(() => undefined);
  }
}
