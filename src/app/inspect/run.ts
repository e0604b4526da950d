/**
 * The evaluation run in the browser: GeoZero's grounding evaluation on the loaded model for the samples the form
 * chooses, each record kept as it finishes, so that a reload resumes it.
 */
import type { AnnotationEntry } from "../../eval/annotations";
import { evaluateSamples } from "../../eval/evaluate";
import { NO_SYNONYMS } from "../../eval/metrics/meteor";
import { type RunForm, type RunSettings, readRunForm, runProgress } from "../../inspect/run-settings";
import { orderedIds } from "../../inspect/store";
import { chooseSubset } from "../../inspect/subset";
import { errorMessage, isAbortError } from "../../io/error-data";
import { loadedModelOf, useModelStore } from "../../state/model-store";
import { holdModel } from "../model";
import { imageFileSize, workerAnswerer } from "./browser-answerer";
import { inspect, keep, recheck, updateMeta } from "./storage";

/** The loaded model as the evaluation names it, or why none can run. */
function loadedModel(): { model: string; dtype: string; device: string } | string {
  const loaded = loadedModelOf(useModelStore.getState().load);
  if (!loaded) return "Load a model first (Map view, Model panel).";
  return { model: loaded.modelId, dtype: loaded.dtype, device: `transformers.js ${loaded.device}` };
}

/** Why a run cannot start or resume now, or null. */
function runBlocker(settingsModel: string | null): string | null {
  const { annotations, folder, records } = inspect();
  if (!annotations) return "Open the annotation file first: it holds the samples to ask.";
  if (!folder) return "Open the images folder first.";
  const model = loadedModel();
  if (typeof model === "string") return model;
  if (settingsModel !== null && model.model !== settingsModel)
    return `This run's records are from ${settingsModel}; load that model to resume it, or clear the workspace.`;
  const { mismatch } = inspect().problems;
  if (mismatch)
    return `${mismatch.ids.size} records shown were not made from this annotation file; open the one they were made from, or export them and clear the workspace before a run.`;
  const other = records.find((r) => r.model !== model.model);
  if (other)
    return `The records shown are from ${other.model}, not ${model.model}; export them, then clear the workspace before a run with another model.`;
  return null;
}

/** Starts a run here on the samples the form chooses. */
export async function startRun(form: RunForm): Promise<void> {
  const blocker = runBlocker(null);
  const { annotations } = inspect();
  if (blocker || !annotations) return failRun(blocker ?? "");
  const reading = readRunForm(form, orderedIds(inspect()));
  if (!reading.valid) return failRun(reading.reason);
  const folder = inspect().folder;
  // Samples whose image is missing are left out (the problems list names them), as npm run eval skips them.
  const askable = annotations.entries.filter((e) => folder?.images.find(e.image) !== null).map((e) => e.id);
  const ids = chooseSubset(askable, reading.subset);
  if (ids.length === 0) return failRun("None of the chosen samples has its image in the opened folder.");
  const model = loadedModel() as { model: string };
  const settings: RunSettings = {
    ids,
    subset: reading.subset.kind,
    seed: reading.seed,
    useSystemPrompt: form.useSystemPrompt,
    decoding: reading.decoding,
    boxReading: form.boxReading,
    model: model.model,
  };
  await updateMeta({ run: settings });
  await execute(settings);
}

/** Resumes a stopped or reloaded run: the samples without a record are asked. */
export async function resumeRun(): Promise<void> {
  const { run } = inspect();
  if (run.status !== "paused" && run.status !== "failed") return;
  const blocker = runBlocker(run.settings.model);
  if (blocker) {
    inspect().set({ run: { status: "failed", settings: run.settings, message: blocker } });
    return;
  }
  await execute(run.settings);
}

/** Stops the run after the sample in flight, which is dropped (as `npm run eval` on Ctrl-C). */
export function stopRun(): void {
  const { run } = inspect();
  if (run.status === "running") run.controller.abort();
}

function failRun(text: string): void {
  const { run } = inspect();
  const settings = run.status === "idle" ? null : run.settings;
  inspect().set({
    run: settings ? { status: "failed", settings, message: text } : { status: "idle" },
    problems: { ...inspect().problems, file: settings ? inspect().problems.file : { name: "run", message: text } },
  });
}

async function execute(settings: RunSettings): Promise<void> {
  // Held from before the model is read until the run ends: a load asked meanwhile waits, so records never mix models.
  const release = holdModel("the Inspect run");
  try {
    await executeHolding(settings);
  } finally {
    release();
  }
}

async function executeHolding(settings: RunSettings): Promise<void> {
  const { annotations, folder } = inspect();
  const model = loadedModel();
  if (!annotations || !folder || typeof model === "string") return;
  const wanted = new Set(settings.ids);
  const samples = annotations.entries
    .filter((e: AnnotationEntry) => wanted.has(e.id) && folder.images.find(e.image) !== null)
    .map((e) => ({ ...e, imagePath: e.image }));
  const controller = new AbortController();
  inspect().set({ run: { status: "running", settings, controller } });
  try {
    const outcome = await evaluateSamples({
      task: "grounding",
      samples,
      done: new Set(inspect().records.map((r) => r.id)),
      useSystemPrompt: settings.useSystemPrompt,
      seed: settings.seed,
      decoding: settings.decoding,
      boxReading: settings.boxReading,
      meteorSynonyms: NO_SYNONYMS,
      answerer: workerAnswerer(model, folder.images),
      signal: controller.signal,
      imageSize: async (path) => imageFileSize(folder.images.find(path) as File),
      append: async (record) => {
        // Kept before it is shown: a reload right after the progress moves loses nothing.
        await keep((db) => db.putRecords([record]));
        inspect().addRecord(record);
        if (!inspect().selectedId) inspect().select(record.id);
      },
    });
    const { done, total } = runProgress(settings, inspect().records);
    inspect().set({
      run:
        outcome.interrupted || done < total
          ? { status: "paused", settings, reason: "stopped" }
          : { status: "finished", settings },
    });
  } catch (error) {
    const stopped = isAbortError(error);
    inspect().set({
      run: stopped
        ? { status: "paused", settings, reason: "stopped" }
        : { status: "failed", settings, message: errorMessage(error) },
    });
  }
  recheck();
}
