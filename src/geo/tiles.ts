import { lngLatToWorldPixel, worldSizePx } from "./mercator";

/** A bounding box in degrees; `west > east` means it crosses the antimeridian. */
export interface BBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** A rectangle of global pixels at one zoom. `left` lies in [0, world size); `left + width` may pass the world's
 * east edge when the window crosses the antimeridian. */
export interface PixelWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** One tile of the XYZ pyramid (y grows southwards). */
export interface TileId {
  z: number;
  x: number;
  y: number;
}

/** Longitude span of a bbox in degrees, crossing the antimeridian when `west > east`. */
export function lngSpan(bbox: BBox): number {
  return bbox.west <= bbox.east ? bbox.east - bbox.west : bbox.east + 360 - bbox.west;
}

/**
 * The integer pixel window of a bbox at a zoom. Each edge is rounded to the nearest pixel boundary, so the window
 * differs from the bbox by at most half a pixel on each side (a window is at least one pixel, inside the world's
 * rows); the window's own georeference is exact.
 */
export function bboxToPixelWindow(bbox: BBox, zoom: number, tileSize = 256): PixelWindow {
  const world = worldSizePx(zoom, tileSize);
  const [westPx, northPx] = lngLatToWorldPixel([bbox.west, bbox.north], zoom, tileSize);
  const [, southPx] = lngLatToWorldPixel([bbox.east, bbox.south], zoom, tileSize);
  const spanPx = (lngSpan(bbox) / 360) * world;
  const left = Math.round(westPx) % world;
  const right = Math.round(westPx + spanPx);
  const top = Math.min(Math.round(northPx), world - 1);
  const bottom = Math.max(top + 1, Math.round(southPx));
  return { left, top, width: Math.max(1, right - Math.round(westPx)), height: bottom - top };
}

/** Wraps a tile column into [0, 2^z), for windows that cross the antimeridian. */
export function wrapTileX(x: number, z: number): number {
  const n = 2 ** z;
  return ((x % n) + n) % n;
}

/**
 * Every tile covering a pixel window, row by row, with the offset at which it is drawn in the window.
 * Columns past the world's east edge wrap around.
 */
export function tilesCoveringWindow(
  window: PixelWindow,
  zoom: number,
  tileSize = 256,
): Array<{ tile: TileId; dx: number; dy: number }> {
  const lastRow = 2 ** zoom - 1;
  const firstCol = Math.floor(window.left / tileSize);
  const lastCol = Math.floor((window.left + window.width - 1) / tileSize);
  const firstRow = Math.max(0, Math.floor(window.top / tileSize));
  const endRow = Math.min(lastRow, Math.floor((window.top + window.height - 1) / tileSize));
  const tiles: Array<{ tile: TileId; dx: number; dy: number }> = [];
  for (let row = firstRow; row <= endRow; row++) {
    for (let col = firstCol; col <= lastCol; col++) {
      tiles.push({
        tile: { z: zoom, x: wrapTileX(col, zoom), y: row },
        dx: col * tileSize - window.left,
        dy: row * tileSize - window.top,
      });
    }
  }
  return tiles;
}

/** The bbox in degrees of one tile. */
export function tileBBox({ z, x, y }: TileId): BBox {
  const n = 2 ** z;
  const lng = (col: number) => (col / n) * 360 - 180;
  const lat = (row: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / n))) * 180) / Math.PI;
  return { west: lng(x), south: lat(y + 1), east: lng(x + 1), north: lat(y) };
}
