import { rasterTilePng } from "../raster/client";
import type { TileReader, TileSourceSpec } from "../types";

/** Web Mercator tiles of the user's GeoTIFF, reprojected in the imagery worker from the overview that fits. */
export class GeoTiffTileReader implements TileReader {
  constructor(private readonly spec: Extract<TileSourceSpec, { kind: "geotiff" }>) {}

  async getTile(z: number, x: number, y: number, signal?: AbortSignal): Promise<Blob | null> {
    const { id, name, location } = this.spec;
    const png = await rasterTilePng({ id, name, location }, z, x, y, signal);
    return png ? new Blob([png], { type: "image/png" }) : null;
  }
}
