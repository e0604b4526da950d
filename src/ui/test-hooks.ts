import { loadModel, replayAnswer } from "../app/model";
import { cropInWorker } from "../imagery/crop";
import { useModelStore } from "../state/model-store";
import { useAppStore } from "../state/store";
import { activeMapView } from "./MapPanel";

/**
 * Handles the browser tests use to reach the app's real code paths (the same functions the UI calls): the store,
 * the map view and the crop entry point. They change no behaviour.
 */
export function installTestHooks(): void {
  Object.assign(window, {
    __geozero: {
      store: useAppStore,
      modelStore: useModelStore,
      map: activeMapView,
      cropInWorker,
      replayAnswer,
      loadModel,
    },
  });
}
