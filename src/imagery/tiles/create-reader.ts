import type { TileReader, TileSourceSpec } from "../types";
import { GeoTiffTileReader } from "./geotiff-reader";
import { networkTileReader } from "./readers";

/**
 * The tile reader for any source, as the map asks for tiles: a GeoTIFF's through the imagery worker, which itself
 * reads XYZ and PMTiles tiles with {@link networkTileReader} (so this module stays out of the worker's imports).
 */
export function createTileReader(spec: TileSourceSpec): TileReader {
  return spec.kind === "geotiff" ? new GeoTiffTileReader(spec) : networkTileReader(spec);
}
