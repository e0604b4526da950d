import { create } from "zustand";
import { ringBBox } from "../geo/extent";
import type { BBox } from "../geo/tiles";
import type { MapLabel } from "../map/map-port";

/** What the app draws over the imagery besides the selection: an answer's (or a kept result's) boxes and labels. */
export interface MapLayersState {
  boxes: GeoJSON.FeatureCollection;
  labels: MapLabel[];
}

/** The drawn boxes and labels; the map bridge keeps the map in step with it. */
export const useMapLayers = create<MapLayersState>()(() => ({
  boxes: { type: "FeatureCollection", features: [] },
  labels: [],
}));

/**
 * The extent of the drawn box with this index (its ring's corners; west > east across the antimeridian), or null when
 * no such box is drawn.
 */
export function drawnBoxExtent(boxes: GeoJSON.FeatureCollection, index: number): BBox | null {
  const feature = boxes.features.find((f) => f.properties?.role !== "reference" && f.properties?.index === index);
  if (feature?.geometry.type !== "Polygon") return null;
  return ringBBox(feature.geometry.coordinates[0].map(([lng, lat]) => [lng, lat]));
}
