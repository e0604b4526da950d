import type { BBox } from "../geo/tiles";
import type { MapLabel, MapViewEvents } from "../map/map-port";
import { useModelStore } from "../state/model-store";
import { useAppStore } from "../state/store";
import { noteTileRead } from "./imagery";
import { drawnBoxExtent, useMapLayers } from "./map-layers";

/** Moves the map to an area (the bridge fits the view to it once the map is ready). */
export function moveMapTo(bbox: BBox): void {
  useAppStore.getState().setFocus(bbox);
}

/** Draws boxes and their labels on the map, replacing earlier ones. */
export function drawBoxes(boxes: GeoJSON.FeatureCollection, labels: MapLabel[] = []): void {
  useMapLayers.setState({ boxes, labels });
}

/** Moves the map to the drawn box with this index; nothing happens when no such box is drawn. */
export function moveMapToBox(index: number): void {
  const extent = drawnBoxExtent(useMapLayers.getState().boxes, index);
  if (extent) moveMapTo(extent);
}

/** Highlights a box in the answer's text and on the map, or none with null. */
export function highlightBox(index: number | null): void {
  if (useModelStore.getState().highlightedBox !== index) useModelStore.getState().set({ highlightedBox: index });
}

/**
 * An answer's boxes belong to the imagery it was asked about: they leave the map when the source changes. Synchronous
 * with the switch, so boxes drawn right after it for the new source (a history entry's) stay.
 */
export function clearBoxesWhenSourceChanges(): () => void {
  return useAppStore.subscribe((state, previous) => {
    if (state.sourceId !== previous.sourceId) drawBoxes({ type: "FeatureCollection", features: [] });
  });
}

/** What the app does with what happens on the map. */
export function mapEvents(): MapViewEvents {
  const store = () => useAppStore.getState();
  return {
    onRectangleDrawn: (bbox) => store().setRectangle(bbox),
    onTileClicked: (tile) => store().toggleTile(tile),
    onViewChanged: (view) => store().setView(view),
    onReferenceDrawn: (bbox) => store().setReference(bbox),
    onBoxClicked: moveMapToBox,
    onBoxHovered: highlightBox,
    onTileRead: noteTileRead,
  };
}
