import type { MessageSpec } from "../io/worker-rpc";
import type { RasterInfo, RasterRefusal } from "./raster/open-raster";
import type { BBox, CropProgress, CroppedImage, RasterLocation, TileSourceSpec } from "./types";

/** A GeoTIFF source as the imagery worker needs it to open the file again after a release. */
export type RasterSourceRef = { id: string; name: string; location: RasterLocation };

/** The imagery worker's messages: crops of every source, and the GeoTIFFs it holds open for the map and crops. */
export type ImageryMessages = {
  crop: MessageSpec<{ source: TileSourceSpec; bbox: BBox; zoom: number }, CroppedImage, CropProgress>;
  openRaster: MessageSpec<RasterSourceRef, { valid: true; info: RasterInfo } | RasterRefusal>;
  rasterTile: MessageSpec<
    { source: RasterSourceRef; z: number; x: number; y: number },
    { png: ArrayBuffer | null; bytesRead: number }
  >;
  releaseRasters: MessageSpec<{ keep: string[] }, null>;
};
