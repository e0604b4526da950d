/**
 * The model side of the app layer: every side effect the model and ask panels trigger (listing, choosing the device,
 * loading, asking, stopping, recovering). Components render the model store and call these; all model work goes
 * through the worker's one queue (src/model/worker.ts), so a question, a load and a stop happen in the order asked.
 */

import { errorMessage, isAbortError } from "../io/error-data";
import { BUILT_MODEL_ROOT, listBuiltModels } from "../model/built-models";
import { askForPersistentStorage, listModels, MODEL_ROOT, modelWorker, restartModelWorker } from "../model/client";
import { chooseBackend, DeviceChoiceError, type ModelNeeds, withDtype } from "../model/device";
import { describeModelFailure, type ModelFailure, type RecoveryAction } from "../model/errors";
import { downloadBytes, entryDtypes, type ModelEntry } from "../model/manifest";
import type { GenerateEvent, GenerateResult, LoadedModel } from "../model/messages";
import type { WorkerRestartReason } from "../model/model-errors";
import { describeFolder, parseModelSource } from "../model/sources";
import { useHistoryStore } from "../state/history-store";
import { loadedModelOf, type ReadyModel, type Run, useModelStore } from "../state/model-store";
import { useAppStore } from "../state/store";
import { AnswerStream } from "../tasks/answer";
import { findBoxes } from "../tasks/boxes";
import { classesFor } from "../tasks/class-lists";
import { defaultBoxConvention } from "../tasks/instructions";
import { modelInputFor, recordedModelInput } from "../tasks/model-input-size";
import type { TaskId } from "../tasks/prompts";
import { thumbnailOf } from "../ui/thumbnail";

const model = () => useModelStore.getState();

/** The model the README names as the default: the demo model every test and a fresh checkout use. */
const DEFAULT_MODEL_ID = "geozero-tiny";

/** The model picked at start: the user's earlier pick, else the README's default, else the first listed. */
export function defaultModelId(models: ModelEntry[], picked: string | null): string | null {
  if (picked && models.some((m) => m.id === picked)) return picked;
  return (models.find((m) => m.id === DEFAULT_MODEL_ID) ?? models[0])?.id ?? null;
}

/** Lists the models in model-cache/ and those built in this browser, and probes the device once. */
export async function initialiseModels(): Promise<void> {
  try {
    const served = await listModels().catch(() => []);
    const models = [...served, ...(await listBuiltModels())];
    const device = await modelWorker().call("probe", null);
    const before = model().modelId;
    const modelId = defaultModelId(models, before);
    model().set({
      models,
      modelId,
      device,
      modelsError: models.length
        ? null
        : "No model yet: build GeoZero from Hugging Face below (or serve a converted folder in model-cache/).",
    });
    // Grounding picked before the list came took the box convention of no model: it follows the model chosen now.
    if (model().task === "grounding" && modelId !== before) followModelBoxConvention();
    updateChoice();
  } catch (error) {
    model().set({ modelsError: errorMessage(error) });
  }
}

/** Reads grounding boxes as the model in use writes them (loaded, else chosen): GeoZero in pixels, others 0–1000. */
export function followModelBoxConvention(): void {
  const state = model();
  state.set({ boxConvention: defaultBoxConvention(loadedModelOf(state.load)?.modelId ?? state.modelId) });
}

/** What the device choice needs to know of a model: its size on WASM, from its manifest. */
function needsOf(entry: ModelEntry): ModelNeeds {
  const { manifest } = entry;
  return { name: entry.id, wasmBytes: (sessions) => (manifest ? downloadBytes(manifest, sessions) : null) };
}

/**
 * Recomputes the backend for the chosen model and device preference. A model no device here can run leaves no
 * choice and says why; the model loaded now stays loaded.
 */
export function updateChoice(): void {
  const { models, modelId, device, forcedDevice, forcedDtype } = model();
  const entry = models.find((m) => m.id === modelId);
  if (!entry || !device) return;
  try {
    const choice = chooseBackend(device, entryDtypes(entry), forcedDevice ?? undefined, needsOf(entry));
    model().set({
      choice: forcedDtype && forcedDtype !== choice.dtype ? withDtype(choice, forcedDtype) : choice,
      choiceProblem: null,
    });
  } catch (error) {
    if (!(error instanceof DeviceChoiceError)) throw error;
    model().set({ choice: null, choiceProblem: error });
  }
}

let lastRoot: string | null = null;

/**
 * Loads the chosen model with progress; cancellable. A load that fails leaves the model that was working loaded (the
 * worker checks the new folder before unloading it), and the panel says both.
 */
export async function loadModel(options: { restart?: WorkerRestartReason } = {}): Promise<void> {
  const { modelId, choice, models } = model();
  const entry = models.find((m) => m.id === modelId);
  if (!modelId || !choice || !entry) return;
  const previous = model().load;
  const before = loadedModelOf(previous);
  const controller = new AbortController();
  model().set({ load: { status: "loading", progress: null, controller, kept: before } });
  if (!(await untilNoRunHoldsTheModel(controller.signal))) {
    model().set({ load: previous });
    return;
  }
  const where = entry.remote
    ? { modelId: entry.remote.folder, modelRoot: entry.remote.root }
    : entry.built
      ? { modelId, modelRoot: BUILT_MODEL_ROOT, store: "built" as const }
      : { modelId, modelRoot: MODEL_ROOT };
  // transformers.js memoises configs by folder name, and Hugging Face folders are all named by revision ("main"):
  // a model from another root gets a fresh worker.
  const restart = options.restart ?? (lastRoot !== null && lastRoot !== where.modelRoot ? "other-root" : null);
  if (restart) restartModelWorker(restart);
  lastRoot = where.modelRoot;
  void askForPersistentStorage();
  const held: LoadedModel = { ...where, device: choice.device, dtype: choice.dtype };
  // A served model can be described from the browser's cache when the network is off (src/model/cached-models.ts).
  const listed =
    entry.manifest && !entry.remote && !entry.built
      ? { manifest: entry.manifest, offline: !navigator.onLine }
      : undefined;
  try {
    const result = await modelWorker().call(
      "load",
      { ...held, sessions: choice.sessions, listed },
      {
        signal: controller.signal,
        onEvent: (progress) => model().set({ load: { status: "loading", progress, controller, kept: before } }),
      },
    );
    model().set({ load: { status: "ready", modelId, device: choice.device, dtype: choice.dtype, held, ...result } });
  } catch (error) {
    const kept = await stillLoaded(before);
    if (isAbortError(error)) {
      model().set({ load: kept ?? { status: "idle" } });
      return;
    }
    const failure = describeFailure(error);
    model().set({ load: { status: "failed", message: failure.summary, failure, kept } });
  }
}

/**
 * The model loaded before a load that failed or was cancelled, if the worker still holds that very model. A load
 * cancelled after its download has unloaded it already (and disposed its own sessions); one whose cancel crossed its
 * end left the new model loaded, which is unloaded here, so the panel and the worker agree on what answers.
 */
async function stillLoaded(before: ReadyModel | null): Promise<ReadyModel | null> {
  const worker = modelWorker();
  const held = await worker.call("loaded", null).catch(() => null);
  if (!held) return null;
  if (before && sameModel(held, before.held)) return before;
  await worker.call("unload", null).catch(() => null);
  return null;
}

function sameModel(a: LoadedModel, b: LoadedModel): boolean {
  return a.modelId === b.modelId && a.modelRoot === b.modelRoot && a.device === b.device && a.dtype === b.dtype;
}

/** Describes a worker error, by its type and fields, with where the model ran. */
function describeFailure(error: unknown): ModelFailure {
  const { choice, models, modelId, budget } = model();
  const entry = models.find((m) => m.id === modelId);
  return describeModelFailure(error, {
    device: choice?.device ?? "wasm",
    dtype: choice?.dtype ?? "",
    availableDtypes: entry ? entryDtypes(entry) : [],
    maxPixels: budget.maxPixels,
  });
}

/**
 * Holds the loaded model for a run that records its name (an answer, an Inspect run): a load asked meanwhile waits
 * until every run holding the model has let it go, so no run's records mix models. `holder` names the run for the
 * Model panel ("Stop or finish the answer"). Returns the release, which may be called more than once.
 */
export function holdModel(holder: string): () => void {
  model().set({ modelHolders: [...model().modelHolders, holder] });
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    const holders = [...model().modelHolders];
    holders.splice(holders.indexOf(holder), 1);
    model().set({ modelHolders: holders });
  };
}

/** Resolves true once no run holds the model, or false if the signal aborts first. */
function untilNoRunHoldsTheModel(signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      if (!signal.aborted && model().modelHolders.length > 0) return;
      unsubscribe();
      signal.removeEventListener("abort", check);
      resolve(!signal.aborted);
    };
    const unsubscribe = useModelStore.subscribe(check);
    signal.addEventListener("abort", check);
    check();
  });
}

/** Cancels the load in progress: the worker drops it (waiting or running); a model loaded before stays. */
export function cancelLoad(): void {
  const { load } = model();
  if (load.status === "loading") load.controller.abort();
}

/**
 * Stops the running answer: the worker ends the generation before its next model run (image encoding, prompt chunk
 * or decoding step) and answers with what it generated; the run says "Stopped" then, and the next question starts.
 */
export function stopAnswer(): void {
  const { run } = model();
  if (run?.status !== "running") return;
  model().updateRun((running) => ({ ...running, stopping: true }));
  run.controller.abort();
}

/** Runs a recovery the failure offered: reload on WASM or at a smaller dtype. Crop, question and answers stay. */
export async function recover(action: RecoveryAction): Promise<void> {
  if (action.kind === "reload-wasm") model().set({ forcedDevice: "wasm", forcedDtype: null });
  else model().set({ forcedDtype: action.dtype });
  updateChoice();
  await loadModel({ restart: "recovery" });
}

/** Looks up a model folder by Hugging Face id or URL (only when the user asks) and adds it to the picker. */
export async function addRemoteModel(input: string): Promise<void> {
  model().set({ remoteError: null });
  try {
    const location = parseModelSource(input);
    const folder = await describeFolder(location);
    const entry = {
      id: location.label,
      manifest: folder.manifest,
      remote: { root: location.root, folder: location.folder, dtypes: folder.dtypes },
    };
    const others = model().models.filter((m) => m.id !== entry.id);
    model().set({ models: [...others, entry], modelId: entry.id, forcedDtype: null });
    updateChoice();
  } catch (error) {
    model().set({ remoteError: errorMessage(error) });
  }
}

/** The loaded model's name as results record it. */
export function modelName(): string {
  const loaded = loadedModelOf(model().load);
  return loaded ? `${loaded.modelId} (${loaded.dtype})` : "";
}

let runCount = 0;

function startRun(
  task: TaskId,
  question: string,
  crop: Run["crop"],
): { stream: AnswerStream; controller: AbortController } {
  const controller = new AbortController();
  const stream = new AnswerStream();
  runCount += 1;
  model().set({
    highlightedBox: null,
    run: {
      id: `${Date.now().toString(36)}-${runCount}`,
      task,
      classes: task === "scene_cls" ? classesFor(model().classListId, model().customClasses) : undefined,
      question,
      crop,
      input: modelInputFor(crop.image.width, crop.image.height, model().budget),
      model: modelName(),
      answer: stream.state(),
      status: "running",
      error: null,
      stats: { ttftMs: 0, tokensPerSecond: 0, tokens: 0, inputWidth: 0, inputHeight: 0 },
      result: null,
      controller,
      decoding: model().decoding.kind,
    },
  });
  return { stream, controller };
}

/** Keeps a finished or stopped run in the history (IndexedDB). */
async function keepInHistory(run: Run): Promise<void> {
  if (run.status !== "done" && run.status !== "stopped") return;
  const { image } = run.crop;
  const boxConvention = model().boxConvention;
  const boxes = findBoxes(run.answer.answer, {
    convention: boxConvention,
    input: run.input,
    cropWidth: image.width,
    cropHeight: image.height,
  });
  await useHistoryStore.getState().add({
    id: run.id,
    createdAt: Date.now(),
    task: run.task,
    question: run.question,
    think: run.answer.think,
    answer: run.answer.answer,
    status: run.status,
    model: run.model,
    boxes,
    boxConvention,
    input: run.input,
    crop: {
      png: image.png,
      width: image.width,
      height: image.height,
      georef: image.georef,
      zoom: image.zoom,
      sourceId: image.sourceId,
      bbox: image.bbox,
    },
    thumbnail: await thumbnailOf(image.png),
  });
}

function finishRun(update: (run: Run) => Run): Promise<void> {
  model().updateRun(update);
  const run = model().run;
  return run ? keepInHistory(run) : Promise.resolve();
}

/** Applies one worker event to the run: the one path streamed text takes into the panels and the map. */
function applyEvent(stream: AnswerStream, event: GenerateEvent): void {
  if (event.status === "prefill") {
    model().updateRun((run) => ({
      ...run,
      input: recordedModelInput(
        run.crop.image.width,
        run.crop.image.height,
        event.inputWidth,
        event.inputHeight,
        model().budget,
      ),
      stats: { ...run.stats, inputWidth: event.inputWidth, inputHeight: event.inputHeight },
    }));
    return;
  }
  if (event.status === "beams") {
    model().updateRun((run) => ({
      ...run,
      beams: event,
      stats: { ...run.stats, tokens: event.step, ttftMs: event.firstStepMs, tokensPerSecond: event.stepsPerSecond },
    }));
    return;
  }
  const answer = stream.push(event.piece);
  model().updateRun((run) => ({
    ...run,
    answer,
    stats: { ...run.stats, ttftMs: event.ttftMs, tokensPerSecond: event.tokensPerSecond, tokens: event.tokens },
  }));
}

/** Asks about the current crop, streaming reasoning and answer into the store; the result goes to the history. */
export async function ask(task: TaskId, instruction: string): Promise<void> {
  const crop = useAppStore.getState().lastImage;
  const { useSystemPrompt, decoding, budget } = model();
  if (!crop || !loadedModelOf(model().load)) return;
  await runQuestion(task, instruction, crop, (onEvent, signal) =>
    modelWorker().call(
      "generate",
      { image: crop.image.png, instruction, useSystemPrompt, decoding, budget },
      // Stopped: the worker's own result (what it generated, `stopped`) ends the run, once the worker has stopped.
      { signal, onEvent, settleByWorker: true },
    ),
  );
}

/** Where a run's events and result come from: the model worker, or (in the browser tests) a recorded answer. */
export type AnswerSource = (
  onEvent: (event: GenerateEvent) => void,
  signal: AbortSignal,
) => Promise<GenerateResult | null>;

/**
 * Runs one question on a crop: the run in the store, its events streamed into the panels and the map, the end kept in
 * the history. The one path every answer takes, live or replayed; resolves once the result is kept.
 */
export async function runQuestion(
  task: TaskId,
  question: string,
  crop: Run["crop"],
  source: AnswerSource,
): Promise<void> {
  const { stream, controller } = startRun(task, question, crop);
  const release = holdModel("the answer");
  try {
    const result = await source((event) => applyEvent(stream, event), controller.signal);
    await finishRun((run) => ({
      ...run,
      answer: stream.end(result?.stopped ?? false),
      status: result?.stopped ? "stopped" : "done",
      result,
      stats: result
        ? { ...run.stats, ttftMs: result.ttftMs, tokensPerSecond: result.tokensPerSecond, tokens: result.tokens }
        : run.stats,
    }));
  } catch (error) {
    const stopped = isAbortError(error);
    const failure = stopped ? undefined : describeFailure(error);
    // A lost device takes the loaded model with it: the Model panel says so and offers the reloads too.
    if (failure?.kind === "device-lost")
      model().set({ load: { status: "failed", message: failure.summary, failure, kept: null } });
    await finishRun((run) => ({
      ...run,
      answer: stream.end(stopped),
      status: stopped ? "stopped" : "failed",
      error: failure ? failure.summary : null,
      failure,
    }));
  } finally {
    release();
  }
}
