import {
  groundScale,
  type LngLat,
  lngLatToMercator,
  MERCATOR_HALF_WORLD_M,
  mercatorToLngLat,
  type Point,
  worldPixelToMercator,
  worldSizePx,
} from "./mercator";

/** GDAL-ordered affine transform: `[x0, dx, rx, y0, ry, dy]`, image (col, row) → EPSG:3857 metres. */
export type AffineTransform = [number, number, number, number, number, number];

/**
 * Where an image lies on the Earth: its size and the affine transform from image pixels (pixel-corner convention:
 * (0, 0) is the top-left corner of the top-left pixel) to Web Mercator metres.
 */
export interface GeoReference {
  width: number;
  height: number;
  transform: AffineTransform;
}

/** Image pixel (col, row) → EPSG:3857 metres. */
export function pixelToMercator(ref: GeoReference, [col, row]: Point): Point {
  const [x0, dx, rx, y0, ry, dy] = ref.transform;
  return [x0 + col * dx + row * rx, y0 + col * ry + row * dy];
}

/** EPSG:3857 metres → image pixel (col, row), the inverse of {@link pixelToMercator}. */
export function mercatorToPixel(ref: GeoReference, [x, y]: Point): Point {
  const [x0, dx, rx, y0, ry, dy] = ref.transform;
  const det = dx * dy - rx * ry;
  if (det === 0)
    throw new Error(`GeoReference transform ${JSON.stringify(ref.transform)} is singular; it cannot be inverted.`);
  const u = x - x0;
  const v = y - y0;
  return [(dy * u - rx * v) / det, (-ry * u + dx * v) / det];
}

/** Image pixel (col, row) → longitude/latitude. */
export function pixelToLngLat(ref: GeoReference, p: Point): LngLat {
  return mercatorToLngLat(pixelToMercator(ref, p));
}

/** Longitude/latitude → image pixel (col, row). */
export function lngLatToPixel(ref: GeoReference, p: LngLat): Point {
  return mercatorToPixel(ref, lngLatToMercator(p));
}

/** True ground metres per pixel at the image centre (Web Mercator metres shrink by cos φ on the ground). */
export function groundSampleDistance(ref: GeoReference): number {
  const [, dx, rx, , ry, dy] = ref.transform;
  const [, lat] = pixelToLngLat(ref, [ref.width / 2, ref.height / 2]);
  const mercatorPerPixel = Math.sqrt(Math.abs(dx * dy - rx * ry));
  return mercatorPerPixel * groundScale(lat);
}

/** Ground width and height of the image in metres, measured at its centre latitude. */
export function groundSize(ref: GeoReference): { widthM: number; heightM: number } {
  const gsd = groundSampleDistance(ref);
  return { widthM: ref.width * gsd, heightM: ref.height * gsd };
}

/**
 * The text of an ESRI world file (`.pgw` beside a PNG) for the image in EPSG:3857. World files give the centre of the
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
