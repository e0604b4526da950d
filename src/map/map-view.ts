import type { GeoJSONSource, MapLayerMouseEvent, RasterSourceSpecification } from "maplibre-gl";
import * as maplibregl from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import maplibreWorkerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url";
import { Protocol } from "pmtiles";
import { TerraDraw, TerraDrawRectangleMode, TerraDrawRenderMode } from "terra-draw";
import { TerraDrawMapLibreGLAdapter } from "terra-draw-maplibre-gl-adapter";
import { ringBBox } from "../geo/extent";
import { type BBox, lngSpan, type TileId } from "../geo/tiles";
import { CropError } from "../imagery/crop-error";
import type { ImagerySource } from "../imagery/sources";
import type { TileOutcome } from "../imagery/tile-health";
import { createTileReader } from "../imagery/tiles/create-reader";
import { pmtilesArchive } from "../imagery/tiles/readers";
import type { TileReader } from "../imagery/types";
import { expandUrlTemplate } from "../imagery/url-template";
import { errorMessage } from "../io/error-data";
import type { MapLabel, MapPort, MapTool, MapViewEvents } from "./map-port";
import { bboxPolygon, gridCells, tileAt, tilePolygon } from "./tile-grid";

export type { MapLabel, MapTool, MapViewEvents };

const IMAGERY = "imagery";
const GRID = "tile-grid";
const PICKED = "picked-tiles";
const SELECTION = "selection";
const BOXES = "answer-boxes";
/** Feature id of the reference box among the answer's boxes (theirs are their indices). */
const REFERENCE_ID = 1_000_000;
const IS_REFERENCE: maplibregl.FilterSpecification = ["==", ["get", "role"], "reference"];
const NOT_REFERENCE: maplibregl.FilterSpecification = ["!=", ["get", "role"], "reference"];

let pmtilesProtocol: Protocol | undefined;

/** The source whose tiles `imagery://<id>/{z}/{x}/{y}` URLs ask for: its reader and who hears how each tile went. */
interface ServedImagery {
  source: ImagerySource;
  reader: TileReader;
  onTileRead(outcome: TileOutcome): void;
}

/** The imagery shown, by source id: one at a time, so a source's reader and caches go when another is chosen. */
const served = new Map<string, ServedImagery>();

function registerProtocols(): void {
  if (pmtilesProtocol) return;
  maplibregl.setWorkerUrl(maplibreWorkerUrl);
  pmtilesProtocol = new Protocol();
  maplibregl.addProtocol("pmtiles", pmtilesProtocol.tile);
  maplibregl.addProtocol("imagery", async (params, abort) => {
    const match = /^imagery:\/\/([^/]+)\/(\d+)\/(\d+)\/(\d+)$/.exec(params.url);
    const imagery = match ? served.get(decodeURIComponent(match[1])) : undefined;
    if (!match || !imagery) throw new Error(`No imagery source is shown for ${params.url}.`);
    const blob = await readTile(imagery, [Number(match[2]), Number(match[3]), Number(match[4])], abort.signal);
    return { data: blob ? await blob.arrayBuffer() : new ArrayBuffer(0) };
  });
}

/** Reads one tile for the map and reports how it went (an abort, the map no longer wanting it, is not reported). */
async function readTile(
  imagery: ServedImagery,
  [z, x, y]: [number, number, number],
  signal: AbortSignal,
): Promise<Blob | null> {
  const url =
    imagery.source.kind === "xyz"
      ? expandUrlTemplate(imagery.source.urlTemplate, z, x, y)
      : `${imagery.source.name} ${z}/${x}/${y}`;
  try {
    const blob = await imagery.reader.getTile(z, x, y, signal);
    imagery.onTileRead(blob ? { kind: "tile" } : { kind: "missing", url });
    return blob;
  } catch (error) {
    if (signal.aborted) throw error;
    const problem = error instanceof CropError ? error.problem : null;
    const reason = error instanceof CropError ? error.reason : errorMessage(error);
    imagery.onTileRead({ kind: "failed", url, problem, reason });
    throw error;
  }
}

function emptyCollection(): GeoJSON.FeatureCollection {
  return { type: "FeatureCollection", features: [] };
}

/**
 * The MapLibre map behind a small interface: imagery, the drawing tool, the tile grid and the selection outline.
 * Nothing outside `src/map` touches MapLibre or terra-draw objects.
 */
export class MapView implements MapPort {
  readonly map: maplibregl.Map;
  private draw: TerraDraw | undefined;
  private tool: MapTool = "pan";
  private gridZoom: number | null = null;
  private ready: Promise<void>;
  private labels: maplibregl.Marker[] = [];
  private shownSource: ImagerySource | null = null;

  constructor(
    container: HTMLElement,
    initial: { center: [number, number]; zoom: number },
    private readonly events: MapViewEvents,
  ) {
    registerProtocols();
    this.map = new maplibregl.Map({
      container,
      style: {
        version: 8,
        sources: {},
        layers: [{ id: "background", type: "background", paint: { "background-color": "#1b1f24" } }],
      },
      center: initial.center,
      zoom: initial.zoom,
      attributionControl: { compact: false },
      maxPitch: 0,
      dragRotate: false,
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    this.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
    this.ready = new Promise<void>((resolve) => this.map.once("load", () => resolve())).then(() => this.setUpLayers());
  }

  private setUpLayers(): void {
    const map = this.map;
    map.addSource(GRID, { type: "geojson", data: emptyCollection() });
    map.addSource(PICKED, { type: "geojson", data: emptyCollection() });
    map.addSource(SELECTION, { type: "geojson", data: emptyCollection() });
    map.addLayer({
      id: GRID,
      type: "line",
      source: GRID,
      paint: { "line-color": "#ffffff", "line-opacity": 0.45, "line-width": 1 },
    });
    map.addLayer({ id: PICKED, type: "fill", source: PICKED, paint: { "fill-color": "#ffb000", "fill-opacity": 0.3 } });
    map.addLayer({
      id: SELECTION,
      type: "line",
      source: SELECTION,
      paint: { "line-color": "#ffb000", "line-width": 2, "line-dasharray": [3, 2] },
    });
    map.addSource(BOXES, { type: "geojson", data: emptyCollection() });
    map.addLayer({
      id: `${BOXES}-fill`,
      type: "fill",
      source: BOXES,
      filter: NOT_REFERENCE,
      paint: {
        "fill-color": ["get", "colour"],
        "fill-opacity": ["case", ["boolean", ["feature-state", "hover"], false], 0.35, 0.12],
      },
    });
    map.addLayer({
      id: `${BOXES}-line`,
      type: "line",
      source: BOXES,
      filter: NOT_REFERENCE,
      paint: {
        "line-color": ["get", "colour"],
        "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 4, 2],
      },
    });
    map.addLayer({
      id: `${BOXES}-reference`,
      type: "line",
      source: BOXES,
      filter: IS_REFERENCE,
      paint: { "line-color": ["get", "colour"], "line-width": 2.5, "line-dasharray": [2, 1.5] },
    });
    map.on("click", `${BOXES}-fill`, (event) => {
      // While a tool draws or picks, a click on a box belongs to the tool.
      const index = event.features?.[0]?.properties?.index;
      if (this.tool === "pan" && typeof index === "number") this.events.onBoxClicked(index);
    });
    map.on("mousemove", `${BOXES}-fill`, (event) => {
      const index = event.features?.[0]?.properties?.index;
      if (typeof index === "number") this.events.onBoxHovered(index);
    });
    map.on("mouseleave", `${BOXES}-fill`, () => this.events.onBoxHovered(null));
    map.on("moveend", () => {
      this.refreshGrid();
      const c = map.getCenter().wrap();
      this.events.onViewChanged({ center: [c.lng, c.lat], zoom: map.getZoom() });
    });
    map.on("click", (event: MapLayerMouseEvent) => {
      if (this.tool !== "tiles" || this.gridZoom === null) return;
      this.events.onTileClicked(tileAt(event.lngLat.lng, event.lngLat.lat, this.gridZoom));
    });
    // Tiles read through the imagery protocol report themselves; PMTiles archives fail here.
    map.on("error", (event: maplibregl.ErrorEvent) => {
      const sourceId = (event as { sourceId?: string }).sourceId;
      const source = this.shownSource;
      if (sourceId !== IMAGERY || source?.kind !== "pmtiles") return;
      const reason = event.error?.message ?? "a tile could not be loaded";
      this.events.onTileRead(source.id, { kind: "failed", url: source.url, problem: null, reason });
    });
    this.draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map }),
      modes: [
        new TerraDrawRectangleMode({
          styles: { fillColor: "#ffb000", fillOpacity: 0.12, outlineColor: "#ffb000", outlineWidth: 2 },
        }),
        new TerraDrawRenderMode({ modeName: "static", styles: {} }),
      ],
    });
    this.draw.start();
    this.draw.setMode("static");
    this.draw.on("finish", (id) => this.rectangleFinished(id));
    this.setTool(this.tool);
  }

  private rectangleFinished(id: string | number): void {
    const draw = this.draw;
    if (!draw) return;
    const feature = draw.getSnapshotFeature(id);
    const ring = feature?.geometry.type === "Polygon" ? (feature.geometry.coordinates[0] as number[][]) : null;
    draw.clear();
    if (!ring) return;
    // Drawn past 180° (the map's world copies), the bbox is stored as one across the antimeridian.
    const bbox = ringBBox(ring.map(([lng, lat]) => [lng, lat]));
    if (!bbox) return;
    if (this.tool === "reference") this.events.onReferenceDrawn(bbox);
    else this.events.onRectangleDrawn(bbox);
  }

  /** Waits until the map's style and layers exist. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Shows an imagery source under everything else. */
  async setImagery(source: ImagerySource): Promise<void> {
    await this.ready;
    const map = this.map;
    if (map.getLayer(IMAGERY)) map.removeLayer(IMAGERY);
    if (map.getSource(IMAGERY)) map.removeSource(IMAGERY);
    served.clear();
    this.shownSource = source;
    if (source.kind === "pmtiles") pmtilesProtocol?.add(pmtilesArchive(source.url));
    else {
      const onTileRead = (outcome: TileOutcome) => this.events.onTileRead(source.id, outcome);
      served.set(source.id, { source, reader: createTileReader(source), onTileRead });
    }
    map.addSource(IMAGERY, rasterSource(source));
    map.addLayer(
      { id: IMAGERY, type: "raster", source: IMAGERY },
      "background" === map.getStyle().layers[0]?.id ? GRID : undefined,
    );
    map.moveLayer("background", IMAGERY);
  }

  /** Chooses what the pointer does: pan, draw a rectangle, or pick tiles on the grid. */
  setTool(tool: MapTool): void {
    this.tool = tool;
    this.draw?.setMode(tool === "rectangle" || tool === "reference" ? "rectangle" : "static");
    this.map.getCanvas().style.cursor = tool === "pan" ? "" : "crosshair";
  }

  /** Shows the tile grid at a zoom, or hides it with null. */
  setGridZoom(zoom: number | null): void {
    this.gridZoom = zoom;
    this.refreshGrid();
  }

  /** True when the grid is on but too dense to draw at this view. */
  gridTooDense(): boolean {
    return this.gridZoom !== null && gridCells(this.viewBBox(), this.gridZoom) === null;
  }

  private refreshGrid(): void {
    const source = this.map.getSource<GeoJSONSource>(GRID);
    if (!source) return;
    const cells = this.gridZoom === null ? null : gridCells(this.viewBBox(), this.gridZoom);
    source.setData(cells ?? emptyCollection());
  }

  /** Draws the picked tiles and the selection's outline. */
  async showSelection(bbox: BBox | null, picked: TileId[]): Promise<void> {
    await this.ready;
    this.map
      .getSource<GeoJSONSource>(PICKED)
      ?.setData({ type: "FeatureCollection", features: picked.map(tilePolygon) });
    const outline: GeoJSON.FeatureCollection = bbox
      ? { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: bboxPolygon(bbox) }] }
      : emptyCollection();
    this.map.getSource<GeoJSONSource>(SELECTION)?.setData(outline);
  }

  /**
   * Draws the answer's boxes (GeoJSON polygons with `index` and `colour`), replacing earlier ones; a feature with
   * `role: "reference"` is drawn dashed, as the reference box they are compared with.
   */
  async showBoxes(boxes: GeoJSON.FeatureCollection): Promise<void> {
    await this.ready;
    const features = boxes.features.map((f) => ({
      ...f,
      id: f.properties?.role === "reference" ? REFERENCE_ID : Number(f.properties?.index ?? 0),
    }));
    this.map.getSource<GeoJSONSource>(BOXES)?.setData({ type: "FeatureCollection", features });
  }

  /** Pins text labels to the map (as text, never HTML), replacing earlier ones. */
  showLabels(labels: MapLabel[]): void {
    for (const marker of this.labels) marker.remove();
    this.labels = labels.map(({ lngLat, text, colour }) => {
      const element = document.createElement("div");
      element.className = "map-label";
      element.dataset.testid = "map-label";
      element.textContent = text;
      element.style.borderColor = colour;
      return new maplibregl.Marker({ element, anchor: "bottom-left" }).setLngLat(lngLat).addTo(this.map);
    });
  }

  /** Highlights one box (or none with null). */
  highlightBox(index: number | null): void {
    this.map.removeFeatureState({ source: BOXES });
    if (index !== null) this.map.setFeatureState({ source: BOXES, id: index }, { hover: true });
  }

  /** The visible area. */
  viewBBox(): BBox {
    const b = this.map.getBounds();
    return { west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth() };
  }

  /** Moves the view to a bbox (across the antimeridian too: its east edge then lies past 180°). */
  fitBBox(bbox: BBox, maxZoom?: number): void {
    this.map.fitBounds(
      [
        [bbox.west, bbox.south],
        [bbox.west + lngSpan(bbox), bbox.north],
      ],
      // An explicit `maxZoom: undefined` makes MapLibre compute a NaN camera: leave it out unless given.
      { padding: 40, duration: 0, ...(maxZoom === undefined ? {} : { maxZoom }) },
    );
  }

  /** Frees the map and its GPU resources. */
  destroy(): void {
    if (this.shownSource) served.delete(this.shownSource.id);
    this.draw?.stop();
    this.map.remove();
  }
}

function rasterSource(source: ImagerySource): RasterSourceSpecification {
  const common = { type: "raster" as const, tileSize: source.tileSize, attribution: source.attribution };
  switch (source.kind) {
    case "pmtiles":
      return { ...common, url: `pmtiles://${new URL(source.url, window.location.href).href}` };
    case "xyz":
      // The reader fills the template, `{-y}` included: the map asks in XYZ rows.
      return { ...common, tiles: [imageryTileUrl(source)], maxzoom: source.maxZoom };
    case "geotiff": {
      const { west, south, east, north } = source.info.bbox;
      // MapLibre's source bounds cannot cross the antimeridian (it clamps them to ±180° and then asks for no tile):
      // such a raster is asked for everywhere, and its reader answers empty tiles outside it.
      const bounds: [number, number, number, number] | undefined =
        west <= east ? [west, south, east, north] : undefined;
      return { ...common, tiles: [imageryTileUrl(source)], maxzoom: source.maxZoom, ...(bounds ? { bounds } : {}) };
    }
  }
}

function imageryTileUrl(source: ImagerySource): string {
  return `imagery://${encodeURIComponent(source.id)}/{z}/{x}/{y}`;
}
