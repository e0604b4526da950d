import type { BBox, TileId } from "../geo/tiles";
import type { ImagerySource } from "../imagery/sources";
import type { TileOutcome } from "../imagery/tile-health";

/** What the map tells the app. */
export interface MapViewEvents {
  onRectangleDrawn(bbox: BBox): void;
  onTileClicked(tile: TileId): void;
  onViewChanged(view: { center: [number, number]; zoom: number }): void;
  onBoxClicked(index: number): void;
  /** The pointer entered one of the answer's boxes (its index), or left them all (null). */
  onBoxHovered(index: number | null): void;
  /** A reference rectangle was drawn with the "reference" tool. */
  onReferenceDrawn(bbox: BBox): void;
  /** One imagery tile the map asked for came back (or did not). */
  onTileRead(sourceId: string, outcome: TileOutcome): void;
}

/** How the pointer acts on the map: pan, draw the selection, pick tiles, or draw a reference box on the crop. */
export type MapTool = "pan" | "rectangle" | "tiles" | "reference";

/** A text label pinned to the map, e.g. a box's IoU against the reference. */
export interface MapLabel {
  lngLat: [number, number];
  text: string;
  colour: string;
}

/**
 * A sweep on the map, each layer GeoJSON polygons in longitude/latitude: its chip grid (`state`: planned, running,
 * done, failed or outside; `shown` for the chip picked in the answers list), the classification grid (`colour` by
 * class) and the merged objects (`colour`).
 */
export interface SweepLayers {
  grid: GeoJSON.FeatureCollection;
  classes: GeoJSON.FeatureCollection;
  merged: GeoJSON.FeatureCollection;
}

/**
 * The map as the app drives it; `MapView` implements it with MapLibre, the app layer's tests with a fake. Nothing
 * outside `src/map` sees MapLibre.
 */
export interface MapPort {
  /** Resolves once the map's style and layers exist. */
  whenReady(): Promise<void>;
  /** Shows an imagery source under everything else. */
  setImagery(source: ImagerySource): Promise<void>;
  /** Chooses what the pointer does. */
  setTool(tool: MapTool): void;
  /** Shows the tile grid at a zoom, or hides it with null. */
  setGridZoom(zoom: number | null): void;
  /** Draws the picked tiles and the selection's outline. */
  showSelection(bbox: BBox | null, picked: TileId[]): Promise<void>;
  /** Draws boxes (GeoJSON polygons with `index` and `colour`; `role: "reference"` dashed), replacing earlier ones. */
  showBoxes(boxes: GeoJSON.FeatureCollection): Promise<void>;
  /** Pins text labels to the map, replacing earlier ones. */
  showLabels(labels: MapLabel[]): void;
  /** Highlights one box (or none with null). */
  highlightBox(index: number | null): void;
  /** Draws a sweep's grid, classification grid and merged objects, replacing the earlier ones. */
  showSweep(layers: SweepLayers): Promise<void>;
  /** Moves the view to a bbox, no closer than `maxZoom` when given. */
  fitBBox(bbox: BBox, maxZoom?: number): void;
}
