import { loadModel, replayAnswer } from "../app/model";
import { setChipAnswererForTests } from "../app/sweep";
import { useSweepLayers } from "../app/sweep-layers";
import type { BBox } from "../geo/tiles";
import { cropInWorker } from "../imagery/crop";
import type { MapView } from "../map/map-view";
import { useModelStore } from "../state/model-store";
import { useAppStore } from "../state/store";
import { useSweepStore } from "../state/sweep-store";
import { scriptedBoxesAnswer } from "../sweep/scripted-answerer";
import { modelInputFor } from "../tasks/model-input-size";

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
      sweepStore: useSweepStore,
      sweepLayers: useSweepLayers,
      scriptSweepAnswers,
    },
  });
}

/**
 * Answers sweep chips with the objects given (longitude/latitude boxes), as the model would write them (each edge up
 * to `jitter` px off), instead of asking the model; null answers with the model again.
 */
function scriptSweepAnswers(objects: BBox[] | null, label = "roof", jitter = 0): void {
  if (!objects) {
    setChipAnswererForTests(null);
    return;
  }
  setChipAnswererForTests({
    model: "scripted answerer (test build)",
    answer: async (_image, { georef, header }) => {
      const input = modelInputFor(georef.width, georef.height, header.request.budget);
      const text = scriptedBoxesAnswer(objects, georef, input, label, jitter);
      return { text, tokens: 1, inputWidth: input.width, inputHeight: input.height };
    },
  });
}
