/** Longitude and latitude in degrees. */
export type LngLat = [lng: number, lat: number];
/** A 2-D point: metres, world pixels or image pixels, as the function says. */
export type Point = [x: number, y: number];

/** WGS 84 semi-major axis, the sphere radius of EPSG:3857. */
export const EARTH_RADIUS_M = 6378137;
/** Half the width of the Web Mercator world in metres. */
export const MERCATOR_HALF_WORLD_M = Math.PI * EARTH_RADIUS_M;
/** Latitude at which the square Web Mercator world ends. */
export const MAX_MERCATOR_LAT = 85.0511287798066;

const DEG = Math.PI / 180;

/** Longitude/latitude to EPSG:3857 metres; latitude is clamped to the Web Mercator square. */
export function lngLatToMercator([lng, lat]: LngLat): Point {
  const clamped = Math.max(-MAX_MERCATOR_LAT, Math.min(MAX_MERCATOR_LAT, lat));
  return [EARTH_RADIUS_M * lng * DEG, EARTH_RADIUS_M * Math.log(Math.tan(Math.PI / 4 + (clamped * DEG) / 2))];
}

/** EPSG:3857 metres to longitude/latitude. */
export function mercatorToLngLat([x, y]: Point): LngLat {
  return [x / EARTH_RADIUS_M / DEG, (2 * Math.atan(Math.exp(y / EARTH_RADIUS_M)) - Math.PI / 2) / DEG];
}

/** Size of the world in pixels at a zoom level. */
export function worldSizePx(zoom: number, tileSize = 256): number {
  return tileSize * 2 ** zoom;
}

/** EPSG:3857 metres to global pixel coordinates at a zoom (origin at the north-west corner of the world). */
export function mercatorToWorldPixel([x, y]: Point, zoom: number, tileSize = 256): Point {
  const scale = worldSizePx(zoom, tileSize) / (2 * MERCATOR_HALF_WORLD_M);
  return [(x + MERCATOR_HALF_WORLD_M) * scale, (MERCATOR_HALF_WORLD_M - y) * scale];
}

/** Global pixel coordinates at a zoom to EPSG:3857 metres. */
export function worldPixelToMercator([px, py]: Point, zoom: number, tileSize = 256): Point {
  const metresPerPixel = (2 * MERCATOR_HALF_WORLD_M) / worldSizePx(zoom, tileSize);
  return [px * metresPerPixel - MERCATOR_HALF_WORLD_M, MERCATOR_HALF_WORLD_M - py * metresPerPixel];
}

/** Longitude/latitude to global pixel coordinates at a zoom. */
export function lngLatToWorldPixel(p: LngLat, zoom: number, tileSize = 256): Point {
  return mercatorToWorldPixel(lngLatToMercator(p), zoom, tileSize);
}

/** Global pixel coordinates at a zoom to longitude/latitude. */
export function worldPixelToLngLat(p: Point, zoom: number, tileSize = 256): LngLat {
  return mercatorToLngLat(worldPixelToMercator(p, zoom, tileSize));
}

/** Ground metres per Web Mercator metre at a latitude (the projection's scale factor is 1 / cos φ). */
export function groundScale(lat: number): number {
  return Math.cos(lat * DEG);
}

/** True ground size of one pixel, in metres, at a latitude and zoom. */
export function groundResolution(lat: number, zoom: number, tileSize = 256): number {
  return ((2 * MERCATOR_HALF_WORLD_M) / worldSizePx(zoom, tileSize)) * groundScale(lat);
}
