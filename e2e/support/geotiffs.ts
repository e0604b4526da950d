/**
 * GeoTIFF fixtures for the browser tests and the benchmark, written on the fly into a temporary folder by the
 * project's own writer (`tools/geotiff/writer.ts`). Every pixel encodes its full-resolution column and row, so a
 * crop's pixels name the raster window they came from. Each fixture keeps, beside its file, the proj4 definition
 * written out here by hand, so expected coordinates come from proj4 alone, not from the app's EPSG table.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coordinateLevels, type TiffOptions, writeTiffFile } from "../../tools/geotiff/writer";

export interface RasterFixture {
  name: string;
  path: string;
  size: number;
  width: number;
  height: number;
  origin: [number, number];
  pixelSize: number;
  /** proj4 definition, written by hand. */
  proj4: string;
  epsg: number;
}

const GEOGRAPHIC = 2;
const PROJECTED = 1;

/** name, EPSG code, model type, proj4, origin, pixel size, width, height, overviews */
const PLACES = {
  "utm-north.tif": [32632, PROJECTED, "+proj=utm +zone=32 +datum=WGS84", [560000, 5330000], 10, 1200, 900, 2],
  "utm-south.tif": [32733, PROJECTED, "+proj=utm +zone=33 +south +datum=WGS84", [290000, 6250000], 10, 800, 600, 1],
  "swiss-lv95.tif": [
    2056,
    PROJECTED,
    "+proj=somerc +lat_0=46.9524055555556 +lon_0=7.43958333333333 +k_0=1 +x_0=2600000 +y_0=1200000 +ellps=bessel +towgs84=674.374,15.056,405.346,0,0,0,0",
    [2599000, 1200800],
    2,
    800,
    600,
    1,
  ],
  "wgs84.tif": [4326, GEOGRAPHIC, "+proj=longlat +datum=WGS84", [10.1, 48.1], 0.0001, 600, 400, 1],
  // 6 × 4 km across 180° at 52° N (180° is E 705,929 m there): the western Aleutians.
  "utm60-antimeridian.tif": [32660, PROJECTED, "+proj=utm +zone=60 +datum=WGS84", [702000, 5767000], 10, 600, 400, 1],
  "big-cog.tif": [32632, PROJECTED, "+proj=utm +zone=32 +datum=WGS84", [560000, 5330000], 10, 4096, 4096, 4],
} as const;

export type FixtureName = keyof typeof PLACES;

/** A temporary folder of fixtures, made on demand and removed by `remove`. */
export class GeoTiffFixtures {
  readonly dir = mkdtempSync(join(tmpdir(), "geozero-geotiff-"));

  /** Writes one of the named fixtures. */
  make(name: FixtureName): RasterFixture {
    const [epsg, model, proj4, origin, pixelSize, width, height, overviews] = PLACES[name];
    const key = model === PROJECTED ? 3072 : 2048;
    return this.write(
      name,
      { epsg, proj4, origin: [...origin], pixelSize },
      {
        levels: coordinateLevels(width, height, overviews),
        geo: { origin: [...origin], pixelSize: [pixelSize, pixelSize], keys: { 1024: model, 1025: 1, [key]: epsg } },
      },
    );
  }

  /** Writes any TIFF, georeferenced or not. */
  write(
    name: string,
    place: { epsg: number; proj4: string; origin: [number, number]; pixelSize: number },
    options: TiffOptions,
  ): RasterFixture {
    const path = join(this.dir, name);
    const size = writeTiffFile(path, options);
    const { width, height } = options.levels[0];
    return { name, path, size, width, height, ...place };
  }

  /**
   * A BigTIFF of about `sizeGb` GB that is almost all holes: its header and overviews at the start, its 16
   * full-resolution tiles spread from 1 GB to the end of the file.
   */
  sparse(name: string, sizeGb: number): RasterFixture {
    const spread = (sizeGb * 1e9 - 1.01e9) / 15;
    return this.write(
      name,
      { epsg: 32632, proj4: PLACES["utm-north.tif"][2], origin: [560000, 5330000], pixelSize: 10 },
      {
        levels: coordinateLevels(1024, 1024, 2),
        bigTiff: true,
        geo: { origin: [560000, 5330000], pixelSize: [10, 10], keys: { 1024: 1, 1025: 1, 3072: 32632 } },
        placeTile: (level, index, next) => (level === 0 ? 1e9 + index * spread : next),
      },
    );
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
