import type { GeoReference } from "../geo/georef";
import type { BBox } from "../geo/tiles";
import type { RasterInfo } from "./raster/open-raster";

export type { BBox };

/** A planned crop (of tiles or of a raster's grid) with its sizes, or the reason it is refused. */
export type PlannedCrop<P> =
  | {
      valid: true;
      plan: P;
      width: number;
      height: number;
      groundWidthM: number;
      groundHeightM: number;
      gsd: number;
    }
  | { valid: false; reason: string };

/** Where a GeoTIFF's bytes are: a file the user picked or dropped, or an http(s) URL read by range. */
export type RasterLocation = { kind: "file"; file: Blob } | { kind: "url"; url: string };

/** A tile source described as data, so it can cross into the imagery worker. */
export type TileSourceSpec =
  | { kind: "xyz"; id: string; name: string; urlTemplate: string; tileSize: number; maxZoom: number }
  | { kind: "pmtiles"; id: string; name: string; url: string; tileSize: number; maxZoom: number }
  | {
      kind: "geotiff";
      id: string;
      name: string;
      location: RasterLocation;
      /** What opening it found: levels, CRS, extent. */
      info: RasterInfo;
      tileSize: number;
      maxZoom: number;
    };

/** Reads one encoded tile image; `null` means the source has no tile there. */
export interface TileReader {
  getTile(z: number, x: number, y: number, signal?: AbortSignal): Promise<Blob | null>;
}

/** A cropped, georeferenced image ready for the model. */
export interface CroppedImage {
  width: number;
  height: number;
  png: Blob;
  georef: GeoReference;
  zoom: number;
  sourceId: string;
  bbox: BBox;
}

/** Crop progress events, tagged by `status`. */
export type CropProgress =
  | { status: "fetching"; done: number; total: number }
  | { status: "reading"; bytesRead: number }
  | { status: "stitching" }
  | { status: "encoding" }
  | { status: "done" };
