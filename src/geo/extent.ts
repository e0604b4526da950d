import type { LngLat, Point } from "./mercator";
import { type BBox, lngSpan } from "./tiles";

/**
 * The outline of the rectangle `[x0, y0, x1, y1]` as a ring of `steps` points a side, corners once: along y0 from x0
 * to x1, along x1, back along y1, and up along x0. Transformed point by point, it bounds what the rectangle becomes
 * in another CRS (edges bend; corners alone miss it).
 */
export function rectangleOutline([x0, y0, x1, y1]: [number, number, number, number], steps: number): Point[] {
  const ring: Point[] = [];
  const along = (from: Point, to: Point) => {
    for (let i = 0; i < steps; i++) {
      const t = i / steps;
      ring.push([from[0] + t * (to[0] - from[0]), from[1] + t * (to[1] - from[1])]);
    }
  };
  along([x0, y0], [x1, y0]);
  along([x1, y0], [x1, y1]);
  along([x1, y1], [x0, y1]);
  along([x0, y1], [x0, y0]);
  return ring;
}

/** `[minX, minY, maxX, maxY]` of the finite points, or null when none is. */
export function pointsBounds(points: Point[]): [number, number, number, number] | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  return minX === Infinity ? null : [minX, minY, maxX, maxY];
}

/** Whether `outer` holds `inner` whole; either may cross the antimeridian (west > east). */
export function bboxContains(outer: BBox, inner: BBox): boolean {
  if (inner.south < outer.south || inner.north > outer.north) return false;
  const span = lngSpan(outer);
  if (span >= 360) return true;
  const start = (((inner.west - outer.west) % 360) + 360) % 360;
  return start + lngSpan(inner) <= span;
}

/** The centre of a bbox, across the antimeridian when it crosses it (longitude in [-180, 180)). */
export function bboxCentre(bbox: BBox): LngLat {
  const lng = bbox.west + lngSpan(bbox) / 2;
  return [((((lng + 180) % 360) + 360) % 360) - 180, (bbox.south + bbox.north) / 2];
}
