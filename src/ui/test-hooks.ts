import { loadModel, replayAnswer } from "../app/model";
import { cropInWorker } from "../imagery/imagery-client";
import type { MapView } from "../map/map-view";
import { useModelStore } from "../state/model-store";
import { useAppStore } from "../state/store";

let mapView: MapView | null = null;

/** Lets the tests reach the map view in use (test builds only: the app itself never looks it up). */
export function exposeMapViewForTests(view: MapView | null): void {
  mapView = view;
}

/**
 * Handles the browser tests use to reach the app's real code paths (the same functions the UI calls): the store,
 * the map view and the crop entry point. They change no behaviour, and only test builds install them.
 */
export function installTestHooks(): void {
  Object.assign(window, {
    __geozero: {
      store: useAppStore,
      modelStore: useModelStore,
      map: () => mapView,
      cropInWorker,
      replayAnswer,
      loadModel,
    },
  });
}
