import { type GeoTiffResult, openGeoTiff, renderGeoTiffTile } from "../geotiff";
import type { TileReader, TileSourceSpec } from "../types";

const opened = new Map<string, Promise<GeoTiffResult>>();

/** Renders 256-px Web Mercator tiles from the user's GeoTIFF, for the map and for crops alike. */
export class GeoTiffTileReader implements TileReader {
  constructor(private readonly spec: Extract<TileSourceSpec, { kind: "geotiff" }>) {}

  async getTile(z: number, x: number, y: number, signal?: AbortSignal): Promise<Blob | null> {
    let pending = opened.get(this.spec.id);
    if (!pending) {
      pending = openGeoTiff(this.spec.file, this.spec.name);
      opened.set(this.spec.id, pending);
    }
    const result = await pending;
    signal?.throwIfAborted();
    if (!result.valid) throw new Error(result.reason);
    const rgba = renderGeoTiffTile(result.raster, z, x, y);
    if (!rgba) return null;
    const canvas = new OffscreenCanvas(256, 256);
    const context = canvas.getContext("2d");
    if (!context)
      throw new Error("This browser gives no 2-D context for an OffscreenCanvas; use a current Chromium or Firefox.");
    context.putImageData(new ImageData(new Uint8ClampedArray(rgba), 256, 256), 0, 0);
    return canvas.convertToBlob({ type: "image/png" });
  }
}
