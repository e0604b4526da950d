/**
 * GeoJSON for files, as RFC 7946 §3.1.9 asks: a shape that crosses the antimeridian is cut in two along it, so that
 * no part's longitudes cross 180°. The map keeps the continuous rings (longitudes past 180°, as MapLibre draws them);
 * what is written to a file goes through {@link cutForFile}.
 */
import type { LngLat } from "./mercator";

/** The parts of a closed ring with continuous longitudes, each cut to one copy of the world and moved into it. */
export function cutRingAtAntimeridian(ring: LngLat[]): LngLat[][] {
  const open = ring.slice(0, -1);
  const longitudes = open.map(([lng]) => lng);
  const firstTurn = Math.floor((Math.min(...longitudes) + 180) / 360);
  const lastTurn = Math.floor((Math.max(...longitudes) + 180) / 360);
  const parts: LngLat[][] = [];
  for (let turn = firstTurn; turn <= lastTurn; turn++) {
    const west = -180 + 360 * turn;
    const east = west + 360;
    const part = clip(clip(open, west, 1), east, -1);
    // A part that only touches the cut line has no area.
    if (part.length < 3 || part.every(([lng]) => lng === part[0][0])) continue;
    const moved = part.map(([lng, lat]): LngLat => [lng - 360 * turn, lat]);
    parts.push([...moved, moved[0]]);
  }
  return parts;
}

/**
 * The open ring on the side of the meridian `at` that `side` names (1: east of it, −1: west of it), with a point
 * added where each edge crosses it (Sutherland–Hodgman against one half-plane).
 */
function clip(ring: LngLat[], at: number, side: 1 | -1): LngLat[] {
  const inside = ([lng]: LngLat) => side * (lng - at) >= 0;
  const out: LngLat[] = [];
  ring.forEach((point, i) => {
    const previous = ring[(i + ring.length - 1) % ring.length];
    if (inside(point) !== inside(previous)) out.push(crossing(previous, point, at));
    if (inside(point)) out.push(point);
  });
  return out;
}

function crossing([lng0, lat0]: LngLat, [lng1, lat1]: LngLat, at: number): LngLat {
  const t = (at - lng0) / (lng1 - lng0);
  return [at, lat0 + t * (lat1 - lat0)];
}

type FileGeometry = GeoJSON.Polygon | GeoJSON.MultiPolygon;

/** A polygon as a file holds it: itself within −180…180, or a MultiPolygon of its parts on each side of 180°. */
function cutPolygon(polygon: GeoJSON.Polygon): FileGeometry {
  const [outer, ...holes] = polygon.coordinates as LngLat[][];
  if (!outer || outer.length < 4 || holes.length > 0) return polygon;
  const parts = cutRingAtAntimeridian(outer);
  if (parts.length === 1) return { type: "Polygon", coordinates: parts };
  return { type: "MultiPolygon", coordinates: parts.map((part) => [part]) };
}

/** The collection with every polygon cut at the antimeridian as {@link cutPolygon} does; other shapes unchanged. */
export function cutForFile<G extends GeoJSON.Geometry | null>(
  collection: GeoJSON.FeatureCollection<G>,
): GeoJSON.FeatureCollection<G | FileGeometry> {
  return {
    ...collection,
    features: collection.features.map((feature) =>
      feature.geometry?.type === "Polygon" ? { ...feature, geometry: cutPolygon(feature.geometry) } : feature,
    ),
  };
}
