import { useEffect, useRef } from "react";
import { MapView } from "../map/map-view";
import { currentSource, selectionBBox, useAppStore } from "../state/store";

let activeMap: MapView | null = null;

/** The map view in use, for the test hooks. */
export function activeMapView(): MapView | null {
  return activeMap;
}

/** An answer's boxes belong to the imagery it was asked about: they leave the map when the source changes. */
function clearAnswerBoxes(view: MapView): void {
  void view.showBoxes({ type: "FeatureCollection", features: [] });
  view.showLabels([]);
}

/** The map, kept in step with the store. */
export function MapPanel() {
  const container = useRef<HTMLDivElement>(null);
  const viewRef = useRef<MapView | null>(null);
  const source = useAppStore(currentSource);
  const tool = useAppStore((s) => s.tool);
  const gridZoom = useAppStore((s) => s.gridZoom);
  const selection = useAppStore((s) => s.selection);
  const focus = useAppStore((s) => s.focus);

  useEffect(() => {
    if (!container.current) return;
    const store = useAppStore.getState();
    const view = new MapView(container.current, store.view, {
      onRectangleDrawn: (bbox) => useAppStore.getState().setRectangle(bbox),
      onTileClicked: (tile) => useAppStore.getState().toggleTile(tile),
      onImageryError: (message) => useAppStore.getState().setSourceError(message),
      onViewChanged: (v) => useAppStore.getState().setView(v),
      onReferenceDrawn: (bbox) => useAppStore.getState().setReference(bbox),
    });
    viewRef.current = view;
    activeMap = view;
    // Synchronous with the switch, so boxes drawn right after it for the new source (a history entry's) stay.
    const unsubscribe = useAppStore.subscribe((state, previous) => {
      if (state.sourceId !== previous.sourceId) clearAnswerBoxes(view);
    });
    return () => {
      unsubscribe();
      view.destroy();
      viewRef.current = null;
      activeMap = null;
    };
  }, []);

  useEffect(() => {
    void viewRef.current?.setImagery(source);
  }, [source]);

  useEffect(() => {
    void viewRef.current?.whenReady().then(() => {
      viewRef.current?.setTool(tool);
      viewRef.current?.setGridZoom(tool === "tiles" ? gridZoom : null);
    });
  }, [tool, gridZoom]);

  useEffect(() => {
    void viewRef.current?.showSelection(selectionBBox(selection), selection.kind === "tiles" ? selection.tiles : []);
  }, [selection]);

  useEffect(() => {
    if (!focus) return;
    void viewRef.current?.whenReady().then(() => {
      viewRef.current?.fitBBox(focus, source.maxZoom);
      useAppStore.getState().setFocus(null);
    });
  }, [focus, source.maxZoom]);

  return <div ref={container} className="map" data-testid="map" />;
}
