import { askForPersistentStorage, listModels, MODEL_ROOT, modelWorker, restartModelWorker } from "../../model/client";
import { chooseBackend, withDtype } from "../../model/device";
import { classifyModelError, type ModelFailure, type RecoveryAction } from "../../model/errors";
import { entryDtypes } from "../../model/manifest";
import type { GenerateEvent } from "../../model/messages";
import { describeFolder, parseModelSource } from "../../model/sources";
import { useHistoryStore } from "../../state/history-store";
import { type Run, useModelStore } from "../../state/model-store";
import { useAppStore } from "../../state/store";
import { AnswerStream } from "../../tasks/answer";
import { findBoxes } from "../../tasks/boxes";
import { classesFor } from "../../tasks/class-lists";
import { modelInputFor, recordedModelInput } from "../../tasks/model-input-size";
import type { TaskId } from "../../tasks/prompts";
import { thumbnailOf } from "../thumbnail";

const model = () => useModelStore.getState();

/** Lists the models in model-cache/ and probes the device once. */
export async function initialiseModels(): Promise<void> {
  try {
    const models = await listModels();
    const device = await modelWorker().call("probe", null);
    const modelId = model().modelId ?? models[0]?.id ?? null;
    model().set({
      models,
      modelId,
      device,
      modelsError: models.length ? null : "model-cache/ holds no converted model; run npm run convert.",
    });
    updateChoice();
  } catch (error) {
    model().set({ modelsError: error instanceof Error ? error.message : String(error) });
  }
}

/** Recomputes the backend for the chosen model and device preference. */
export function updateChoice(): void {
  const { models, modelId, device, forcedDevice, forcedDtype } = model();
  const entry = models.find((m) => m.id === modelId);
  if (!entry || !device) return;
  try {
    const choice = chooseBackend(device, entryDtypes(entry), forcedDevice ?? undefined);
    model().set({ choice: forcedDtype && forcedDtype !== choice.dtype ? withDtype(choice, forcedDtype) : choice });
  } catch (error) {
    model().set({
      choice: null,
      load: { status: "failed", message: error instanceof Error ? error.message : String(error) },
    });
  }
}

let lastRoot: string | null = null;

/** Loads the chosen model with progress; cancellable. */
export async function loadModel(): Promise<void> {
  const { modelId, choice, models } = model();
  const entry = models.find((m) => m.id === modelId);
  if (!modelId || !choice || !entry) return;
  const controller = new AbortController();
  model().set({ load: { status: "loading", progress: null, controller } });
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
        onEvent: (progress) => model().set({ load: { status: "loading", progress, controller } }),
      },
    );
    model().set({ load: { status: "ready", modelId, device: choice.device, dtype: choice.dtype, ...result } });
  } catch (error) {
    const aborted = error instanceof Error && error.name === "AbortError";
    if (aborted) {
      model().set({ load: { status: "idle" } });
      return;
    }
    const failure = describeFailure(error);
    model().set({ load: { status: "failed", message: failure.summary, failure } });
  }
}

/** Classifies a worker error with where the model ran. */
function describeFailure(error: unknown): ModelFailure {
  const { choice, models, modelId, budget } = model();
  const entry = models.find((m) => m.id === modelId);
  const thrown = error instanceof Error ? error : { message: String(error) };
  return classifyModelError(thrown, {
    device: choice?.device ?? "wasm",
    dtype: choice?.dtype ?? "",
    availableDtypes: entry ? entryDtypes(entry) : [],
    maxPixels: budget.maxPixels,
  });
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
    model().set({ remoteError: error instanceof Error ? error.message : String(error) });
  }
}

/** The loaded model's name as results record it. */
function modelName(): string {
  const { load } = model();
  return load.status === "ready" ? `${load.modelId} (${load.dtype})` : "";
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
    model().updateRun((run) => ({ ...run, beams: event, stats: { ...run.stats, tokens: event.step } }));
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
  if (!crop || model().load.status !== "ready") return;
  const { stream, controller } = startRun(task, instruction, crop);
  try {
    const result = await modelWorker().call(
      "generate",
      { image: crop.image.png, instruction, useSystemPrompt, decoding, budget },
      { signal: controller.signal, onEvent: (event) => applyEvent(stream, event) },
    );
    await finishRun((run) => ({ ...run, answer: stream.end(false), status: "done", result }));
  } catch (error) {
    const stopped = error instanceof Error && error.name === "AbortError";
    const failure = stopped ? undefined : describeFailure(error);
    // A lost device takes the loaded model with it: the Model panel says so and offers the reloads too.
    if (failure?.kind === "device-lost") model().set({ load: { status: "failed", message: failure.summary, failure } });
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
