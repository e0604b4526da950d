import { loadModel, runQuestion } from "../app/model";
import { cropInWorker } from "../imagery/crop";
import type { MapView } from "../map/map-view";
import { modelWorker } from "../model/client";
import { useModelStore } from "../state/model-store";
import { useAppStore } from "../state/store";
import type { TaskId } from "../tasks/prompts";

let mapView: MapView | null = null;

/** Lets the tests reach the map view in use (test builds only: the app itself never looks it up). */
export function exposeMapViewForTests(view: MapView | null): void {
  mapView = view;
}

/**
 * Feeds recorded model text through the same path as a live generation, piece by piece: random-weight demo models
 * never write boxes, so the tests replay a recorded grounding answer to check the panels, the map, the export and
 * the history. Resolves once the result is kept.
 */
async function replayAnswer(question: string, pieces: string[], task: TaskId = "grounding"): Promise<void> {
  const crop = useAppStore.getState().lastImage;
  if (!crop) throw new Error("replayAnswer needs a crop: crop a selection first.");
  await runQuestion(task, question, crop, async (onEvent) => {
    pieces.forEach((piece, i) => {
      onEvent({ status: "token", piece, tokens: i + 1, ttftMs: 0, tokensPerSecond: 0 });
    });
    return null;
  });
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
      /** the model the worker holds now, as it names it */
      modelInWorker: () => modelWorker().call("loaded", null),
    },
  });
}
