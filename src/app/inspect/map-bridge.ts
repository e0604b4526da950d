/** The Inspect view's one reach into the map: draw a georeferenced sample's boxes and move the view to its image. */

import { type GeoReference, pixelToLngLat } from "../../geo/georef";
import { drawBoxes, moveMapTo } from "../map-actions";

/** Draws `boxes` and moves the map to the image (the map keeps its size while the Inspect view covers it). */
export function showOnMap(boxes: GeoJSON.FeatureCollection, georef: GeoReference): void {
  const [west, north] = pixelToLngLat(georef, [0, 0]);
  const [east, south] = pixelToLngLat(georef, [georef.width, georef.height]);
  drawBoxes(boxes);
  moveMapTo({ west, south, east, north });
}
