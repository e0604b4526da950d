import { loadModel, runQuestion } from "../app/model";
import { cropInWorker } from "../imagery/imagery-client";
import { registeredErrorTypes } from "../io/error-data";
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
 * Raises every error type the model worker's bundle registers in that worker: whether the page re-creates each as
 * its class (an error type registered only in the worker's bundle comes back as a plain Error).
 */
async function errorTypesAcrossModelWorker(): Promise<Array<{ name: string; typed: boolean }>> {
  const worker = modelWorker();
  const names = await worker.call("registeredErrors", null);
  const outcomes = [];
  for (const name of names) {
    const error = await worker.call("raise", { name }).catch((thrown: unknown) => thrown);
    const type = registeredErrorTypes().get(name);
    outcomes.push({ name, typed: type !== undefined && error instanceof type && (error as Error).name === name });
  }
  return outcomes;
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
      errorTypesAcrossModelWorker,
    },
  });
}
