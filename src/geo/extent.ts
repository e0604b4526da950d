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

/**
 * The points with each longitude moved by whole turns to within 180° of the one before: a ring that crosses the
 * antimeridian stays continuous (179.9, 180.1) instead of jumping to the far side of the world (179.9, -179.9).
 */
export function unwrapLongitudes(points: LngLat[]): LngLat[] {
  let previous: number | null = null;
  return points.map(([lng, lat]) => {
    if (!Number.isFinite(lng) || !Number.isFinite(lat)) return [lng, lat];
    const unwrapped: number = previous === null ? lng : lng - 360 * Math.round((lng - previous) / 360);
    previous = unwrapped;
    return [unwrapped, lat];
  });
}

/**
 * The bbox of a ring of longitude/latitude points (an outline, in order), across the antimeridian when the ring
 * crosses it (west > east, as {@link BBox} allows); the whole circle of longitudes when the ring goes around a pole.
 * Null when no point is finite.
 */
export function ringBBox(ring: LngLat[]): BBox | null {
  const unwrapped = unwrapLongitudes(ring);
  const bounds = pointsBounds(unwrapped);
  if (!bounds) return null;
  const [minLng, south, maxLng, north] = bounds;
  const finite = unwrapped.filter(([lng, lat]) => Number.isFinite(lng) && Number.isFinite(lat));
  const [first, last] = [finite[0][0], finite[finite.length - 1][0]];
  const aroundPole = Math.abs(last - first) > 180;
  if (aroundPole || maxLng - minLng >= 360) return { west: -180, south, east: 180, north };
  const west = wrapLongitude(minLng);
  const east = maxLng + (west - minLng);
  return { west, south, east: east > 180 ? east - 360 : east, north };
}

/** A longitude in [-180, 180), unchanged when it is already. */
export function wrapLongitude(lng: number): number {
  return lng >= -180 && lng < 180 ? lng : ((((lng + 180) % 360) + 360) % 360) - 180;
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
  return [wrapLongitude(bbox.west + lngSpan(bbox) / 2), (bbox.south + bbox.north) / 2];
}
