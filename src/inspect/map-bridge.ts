/**
 * The Inspect view's one reach into the map view: draw a georeferenced sample's boxes and fit the view to its image.
 * It goes through `activeMapView()` until the app layer offers a map bridge.
 */
import { type GeoReference, pixelToLngLat } from "../geo/georef";
import { activeMapView } from "../ui/MapPanel";

/** Draws `boxes` and fits the map to the image (the map keeps its size while the Inspect view covers it). */
export async function showOnMap(boxes: GeoJSON.FeatureCollection, georef: GeoReference): Promise<void> {
  const view = activeMapView();
  if (!view) return;
  await view.whenReady();
  const [west, north] = pixelToLngLat(georef, [0, 0]);
  const [east, south] = pixelToLngLat(georef, [georef.width, georef.height]);
  view.fitBBox({ west, south, east, north });
  await view.showBoxes(boxes);
}
