/**
 * The model side of the app layer: every side effect the model and ask panels trigger (listing, choosing the device,
 * loading, asking, stopping, recovering). Components render the model store and call these; all model work goes
 * through the worker's one queue (src/model/worker.ts), so a question, a load and a stop happen in the order asked.
 */

import { errorMessage } from "../io/error-data";
import { askForPersistentStorage, listModels, MODEL_ROOT, modelWorker, restartModelWorker } from "../model/client";
import { chooseBackend, DeviceChoiceError, type ModelNeeds, withDtype } from "../model/device";
import { describeModelFailure, type ModelFailure, type RecoveryAction } from "../model/errors";
import { downloadBytes, entryDtypes, type ModelEntry } from "../model/manifest";
import type { GenerateEvent } from "../model/messages";
import { describeFolder, parseModelSource } from "../model/sources";
import { useHistoryStore } from "../state/history-store";
import { loadedModelOf, type ReadyModel, type Run, useModelStore } from "../state/model-store";
import { useAppStore } from "../state/store";
import { AnswerStream } from "../tasks/answer";
import { findBoxes } from "../tasks/boxes";
import { classesFor } from "../tasks/class-lists";
import { modelInputFor, recordedModelInput } from "../tasks/model-input-size";
import type { TaskId } from "../tasks/prompts";
import { thumbnailOf } from "../ui/thumbnail";

const model = () => useModelStore.getState();

/** The model the README names as the default: the demo model every test and a fresh checkout use. */
export const DEFAULT_MODEL_ID = "geozero-tiny";

/** The model picked at start: the user's earlier pick, else the README's default, else the first listed. */
export function defaultModelId(models: ModelEntry[], picked: string | null): string | null {
  if (picked && models.some((m) => m.id === picked)) return picked;
  return (models.find((m) => m.id === DEFAULT_MODEL_ID) ?? models[0])?.id ?? null;
}

/** Lists the models in model-cache/ and probes the device once. */
export async function initialiseModels(): Promise<void> {
  try {
    const models = await listModels();
    const device = await modelWorker().call("probe", null);
    const modelId = defaultModelId(models, model().modelId);
    model().set({
      models,
      modelId,
      device,
      modelsError: models.length ? null : "model-cache/ holds no converted model; run npm run convert.",
    });
    updateChoice();
  } catch (error) {
    model().set({ modelsError: errorMessage(error) });
  }
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

/** Why loading a model must wait, or null: a sweep in progress records the loaded model in every chip. */
let loadHold: () => string | null = () => null;

/** Refuses loads while `reason` gives one (records of one sweep never mix models). */
export function holdModelLoads(reason: () => string | null): void {
  loadHold = reason;
}

/**
 * Loads the chosen model with progress; cancellable. A load that fails leaves the model that was working loaded (the
 * worker checks the new folder before unloading it), and the panel says both.
 */
export async function loadModel(): Promise<void> {
  const { modelId, choice, models } = model();
  const entry = models.find((m) => m.id === modelId);
  if (!modelId || !choice || !entry) return;
  const before = loadedModelOf(model().load);
  const held = loadHold();
  if (held) {
    model().set({ load: { status: "failed", message: held, kept: before } });
    return;
  }
  const controller = new AbortController();
  model().set({ load: { status: "loading", progress: null, controller, kept: before } });
  const where = entry.remote
    ? { modelId: entry.remote.folder, modelRoot: entry.remote.root }
    : { modelId, modelRoot: MODEL_ROOT };
  // transformers.js memoises configs by folder name, and Hugging Face folders are all named by revision ("main"):
  // a model from another root gets a fresh worker.
  if (lastRoot !== null && lastRoot !== where.modelRoot) restartModelWorker();
  lastRoot = where.modelRoot;
  void askForPersistentStorage();
  try {
    const result = await modelWorker().call(
      "load",
      { ...where, device: choice.device, dtype: choice.dtype, sessions: choice.sessions },
      {
        signal: controller.signal,
        onEvent: (progress) => model().set({ load: { status: "loading", progress, controller, kept: before } }),
      },
    );
    model().set({ load: { status: "ready", modelId, device: choice.device, dtype: choice.dtype, ...result } });
  } catch (error) {
    const kept = await stillLoaded(before);
    if (error instanceof Error && error.name === "AbortError") {
      model().set({ load: kept ?? { status: "idle" } });
      return;
    }
    const failure = describeFailure(error);
    model().set({ load: { status: "failed", message: failure.summary, failure, kept } });
  }
}

/** The model loaded before a load that failed or was cancelled, if the worker still holds it. */
async function stillLoaded(before: ReadyModel | null): Promise<ReadyModel | null> {
  if (!before) return null;
  // The worker replaces its model only when a load succeeds: whatever it holds after a failure is the earlier one.
  const held = await modelWorker()
    .call("loaded", null)
    .catch(() => null);
  return held ? before : null;
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

/** Cancels the load in progress: the worker drops it (waiting or running); a model loaded before stays. */
export function cancelLoad(): void {
  const { load } = model();
  if (load.status === "loading") load.controller.abort();
}

/**
 * Stops the running answer: the worker ends the generation before its next model run (image encoding, prompt or
 * decoding step), and the next question starts as soon as it has.
 */
export function stopAnswer(): void {
  const { run } = model();
  if (run?.status === "running") run.controller.abort();
}

/** Runs a recovery the failure offered: reload on WASM or at a smaller dtype. Crop, question and answers stay. */
export async function recover(action: RecoveryAction): Promise<void> {
  restartModelWorker();
  if (action.kind === "reload-wasm") model().set({ forcedDevice: "wasm", forcedDtype: null });
  else model().set({ forcedDtype: action.dtype });
  updateChoice();
  await loadModel();
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
  crop: NonNullable<Run["crop"]>,
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
  const { stream, controller } = startRun(task, instruction, crop);
  try {
    const result = await modelWorker().call(
      "generate",
      { image: crop.image.png, instruction, useSystemPrompt, decoding, budget },
      { signal: controller.signal, onEvent: (event) => applyEvent(stream, event) },
    );
    await finishRun((run) => ({
      ...run,
      answer: stream.end(false),
      status: "done",
      result,
      stats: { ...run.stats, ttftMs: result.ttftMs, tokensPerSecond: result.tokensPerSecond, tokens: result.tokens },
    }));
  } catch (error) {
    const stopped = error instanceof Error && error.name === "AbortError";
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
  }
}

/**
 * Feeds recorded model text through the same path as a live generation, piece by piece: random-weight demo models
 * never write boxes, so the tests replay a recorded grounding answer to check the panels, the map, the export and
 * the history. Resolves once the result is kept.
 */
export async function replayAnswer(question: string, pieces: string[], task: TaskId = "grounding"): Promise<void> {
  const crop = useAppStore.getState().lastImage;
  if (!crop) throw new Error("replayAnswer needs a crop: crop a selection first.");
  const { stream } = startRun(task, question, crop);
  pieces.forEach((piece, i) => {
    applyEvent(stream, { status: "token", piece, tokens: i + 1, ttftMs: 0, tokensPerSecond: 0 });
  });
  await finishRun((run) => ({ ...run, answer: stream.end(false), status: "done" }));
}
