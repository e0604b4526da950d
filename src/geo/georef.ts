import { crsToLngLat, lngLatToCrs } from "./crs";
import type { Crs } from "./crs-types";
import { rectangleOutline, ringBBox } from "./extent";
import {
  EARTH_RADIUS_M,
  groundScale,
  type LngLat,
  lngLatToMercator,
  MERCATOR_HALF_WORLD_M,
  mercatorToLngLat,
  type Point,
  worldPixelToMercator,
  worldSizePx,
} from "./mercator";
import type { BBox } from "./tiles";

/** GDAL-ordered affine transform: `[x0, dx, rx, y0, ry, dy]`, image (col, row) → CRS coordinates. */
export type AffineTransform = [number, number, number, number, number, number];

/**
 * Where an image lies on the Earth: its size and the affine transform from image pixels (pixel-corner convention:
 * (0, 0) is the top-left corner of the top-left pixel) to coordinates of its CRS: Web Mercator metres for crops of
 * tile sources (no `crs`), the raster's own CRS for crops of a GeoTIFF.
 */
export interface GeoReference {
  width: number;
  height: number;
  transform: AffineTransform;
  /** The CRS the transform maps into; absent means EPSG:3857. */
  crs?: Crs;
}

/** Image pixel (col, row) → coordinates in the reference's CRS. */
export function pixelToCrs(ref: Pick<GeoReference, "transform">, [col, row]: Point): Point {
  const [x0, dx, rx, y0, ry, dy] = ref.transform;
  return [x0 + col * dx + row * rx, y0 + col * ry + row * dy];
}

/** Coordinates in the reference's CRS → image pixel (col, row), the inverse of {@link pixelToCrs}. */
export function crsToPixel(ref: Pick<GeoReference, "transform">, [x, y]: Point): Point {
  const [x0, dx, rx, y0, ry, dy] = ref.transform;
  const det = dx * dy - rx * ry;
  if (det === 0)
    throw new Error(`GeoReference transform ${JSON.stringify(ref.transform)} is singular; it cannot be inverted.`);
  const u = x - x0;
  const v = y - y0;
  return [(dy * u - rx * v) / det, (-ry * u + dx * v) / det];
}

/** Image pixel (col, row) → longitude/latitude, through the CRS's inverse projection (proj4 for a raster's CRS). */
export function pixelToLngLat(ref: GeoReference, p: Point): LngLat {
  const projected = pixelToCrs(ref, p);
  return ref.crs ? crsToLngLat(ref.crs, projected) : mercatorToLngLat(projected);
}

/** Longitude/latitude → image pixel (col, row). */
export function lngLatToPixel(ref: GeoReference, p: LngLat): Point {
  return crsToPixel(ref, ref.crs ? lngLatToCrs(ref.crs, p) : lngLatToMercator(p));
}

/**
 * The bbox in degrees of a rectangle of image pixels: its outline, `steps` points a side (1: the corners), through the
 * CRS's inverse projection, which may turn and bend it; west > east when it crosses the antimeridian.
 */
export function pixelRectToBBox(ref: GeoReference, rect: [number, number, number, number], steps = 1): BBox {
  const outline = rectangleOutline(rect, steps).map((p) => pixelToLngLat(ref, p));
  return ringBBox(outline) ?? { west: Number.NaN, south: Number.NaN, east: Number.NaN, north: Number.NaN };
}

/**
 * Ground metres per pixel at the image centre: a projected raster's own pixel size (10 m for Sentinel-2), a
 * geographic raster's degrees measured on the ground, and Web Mercator metres shrunk by cos φ.
 */
export function groundSampleDistance(ref: GeoReference): number {
  const [, dx, rx, , ry, dy] = ref.transform;
  const unitsPerPixel = Math.sqrt(Math.abs(dx * dy - rx * ry));
  if (ref.crs?.metresPerUnit != null) return unitsPerPixel * ref.crs.metresPerUnit;
  const [, lat] = pixelToLngLat(ref, [ref.width / 2, ref.height / 2]);
  if (ref.crs) return unitsPerPixel * ((Math.PI * EARTH_RADIUS_M) / 180) * Math.sqrt(groundScale(lat));
  return unitsPerPixel * groundScale(lat);
}

/** Ground width and height of the image in metres, measured at its centre latitude. */
export function groundSize(ref: GeoReference): { widthM: number; heightM: number } {
  const gsd = groundSampleDistance(ref);
  return { widthM: ref.width * gsd, heightM: ref.height * gsd };
}

/**
 * The text of an ESRI world file (`.pgw` beside a PNG) for the image in its CRS. World files give the centre of the
 * top-left pixel, so the origin moves by half a pixel from the corner convention used here.
 */
export function worldFile(ref: GeoReference): string {
  const [x0, dx, rx, y0, ry, dy] = ref.transform;
  const centre = [x0 + 0.5 * dx + 0.5 * rx, y0 + 0.5 * ry + 0.5 * dy];
  return [dx, ry, rx, dy, centre[0], centre[1]]
    .map((v) => v.toFixed(10))
    .join("\n")
    .concat("\n");
}

/** A world file read back, or why it could not be. */
export type WorldFileReading = { valid: true; georef: GeoReference } | { valid: false; reason: string };

/**
 * Reads an ESRI world file (six numbers: dx, ry, rx, dy, then the centre of the top-left pixel) for an image of
 * `width × height` pixels, in the map units of its projection — EPSG:3857 metres for the crops this app exports.
 */
export function parseWorldFile(text: string, width: number, height: number): WorldFileReading {
  const values = text.trim().split(/\s+/).map(Number);
  if (values.length !== 6 || !values.every(Number.isFinite)) {
    return { valid: false, reason: `a world file holds six numbers, one a line; this one holds ${values.length}.` };
  }
  const [dx, ry, rx, dy, cx, cy] = values;
  if (dx * dy - rx * ry === 0) return { valid: false, reason: "its pixel size is zero, so it places nothing." };
  const transform: AffineTransform = [cx - 0.5 * dx - 0.5 * rx, dx, rx, cy - 0.5 * ry - 0.5 * dy, ry, dy];
  return { valid: true, georef: { width, height, transform } };
}

/** The GeoReference of a window of global pixels at a zoom, cut from the Web Mercator tile pyramid. */
export function georefForWorldWindow(
  window: { left: number; top: number; width: number; height: number },
  zoom: number,
  tileSize = 256,
): GeoReference {
  const metresPerPixel = (2 * MERCATOR_HALF_WORLD_M) / worldSizePx(zoom, tileSize);
  const [x0, y0] = worldPixelToMercator([window.left, window.top], zoom, tileSize);
  return { width: window.width, height: window.height, transform: [x0, metresPerPixel, 0, y0, 0, -metresPerPixel] };
}

/** WKT of EPSG:3857, the CRS of crops of tile sources, as the EPSG registry gives it. */
const WEB_MERCATOR_WKT =
  'PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],EXTENSION["PROJ4","+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs"],AUTHORITY["EPSG","3857"]]';

/** The text of the `.prj` beside an exported image: the WKT of the reference's CRS. */
export function prjFile(ref: GeoReference): string {
  return `${ref.crs?.wkt || WEB_MERCATOR_WKT}\n`;
}

/** The name of the reference's CRS, e.g. `EPSG:32632` (`EPSG:3857` for tile crops). */
export function crsLabel(ref: GeoReference): string {
  return ref.crs ? (ref.crs.epsg !== null ? `EPSG:${ref.crs.epsg}` : ref.crs.name) : "EPSG:3857";
}
