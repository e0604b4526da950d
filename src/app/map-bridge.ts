import type { MapPort } from "../map/map-port";
import { useModelStore } from "../state/model-store";
import { useOfflineStore } from "../state/offline-store";
import { type AppState, currentSource, selectionBBox, useAppStore } from "../state/store";
import { useMapLayers } from "./map-layers";
import { useSweepLayers } from "./sweep-layers";

/** Runs `apply` now and whenever `pick` of the state changes (by identity). */
function follow<S, T>(
  store: { getState(): S; subscribe(listener: (state: S, previous: S) => void): () => void },
  pick: (state: S) => T,
  apply: (value: T) => void,
): () => void {
  apply(pick(store.getState()));
  return store.subscribe((state, previous) => {
    const value = pick(state);
    if (value !== pick(previous)) apply(value);
  });
}

/** Runs `apply` once the map is ready; it reads the stores then, so a later change is not undone by an earlier one. */
function whenReady(view: MapPort, apply: () => void): void {
  void view.whenReady().then(apply);
}

function fitToFocus(view: MapPort, state: AppState): void {
  const { focus } = state;
  if (!focus) return;
  void view.whenReady().then(() => {
    // A newer focus may have replaced this one while the map was getting ready.
    if (useAppStore.getState().focus !== focus) return;
    view.fitBBox(focus, currentSource(useAppStore.getState()).maxZoom);
    useAppStore.getState().setFocus(null);
  });
}

/**
 * Reads the shown PMTiles archive again, through the service worker that has just taken the page over: on a first
 * visit to a host that answers no range request (python3 -m http.server), the archive's first reads failed, and the
 * worker answers them from its whole copy.
 */
function reshowArchive(view: MapPort): void {
  const source = currentSource(useAppStore.getState());
  if (source.kind === "pmtiles") void view.setImagery(source);
}

/**
 * Keeps a map in step with the stores: imagery, tool, grid, selection, the area to move to, the drawn boxes, their
 * labels and the highlighted box. Returns the function that stops it.
 */
export function connectMap(view: MapPort): () => void {
  const unsubscribers = [
    follow(useAppStore, currentSource, (source) => void view.setImagery(source)),
    useOfflineStore.subscribe((state, previous) => {
      if (state.controlled && !previous.controlled) reshowArchive(view);
    }),
    follow(
      useAppStore,
      (s) => `${s.tool}:${s.gridZoom}`,
      () =>
        whenReady(view, () => {
          const { tool, gridZoom } = useAppStore.getState();
          view.setTool(tool);
          view.setGridZoom(tool === "tiles" ? gridZoom : null);
        }),
    ),
    follow(
      useAppStore,
      (s) => s.selection,
      (selection) =>
        void view.showSelection(selectionBBox(selection), selection.kind === "tiles" ? selection.tiles : []),
    ),
    follow(
      useAppStore,
      (s) => s.focus,
      () => fitToFocus(view, useAppStore.getState()),
    ),
    follow(
      useMapLayers,
      (s) => s.boxes,
      (boxes) => void view.showBoxes(boxes),
    ),
    follow(
      useMapLayers,
      (s) => s.labels,
      () => whenReady(view, () => view.showLabels(useMapLayers.getState().labels)),
    ),
    follow(
      useSweepLayers,
      (s) => s,
      (layers) => void view.showSweep(layers),
    ),
    follow(
      useModelStore,
      (s) => s.highlightedBox,
      () => whenReady(view, () => view.highlightBox(useModelStore.getState().highlightedBox)),
    ),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
