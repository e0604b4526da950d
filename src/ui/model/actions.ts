import { listModels, MODEL_ROOT, modelWorker } from "../../model/client";
import { chooseBackend } from "../../model/device";
import type { GenerateEvent } from "../../model/messages";
import { useModelStore } from "../../state/model-store";
import { useAppStore } from "../../state/store";
import { AnswerStream } from "../../tasks/answer";

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
  const { models, modelId, device, forcedDevice } = model();
  const entry = models.find((m) => m.id === modelId);
  if (!entry || !device) return;
  try {
    model().set({ choice: chooseBackend(device, entry.manifest.dtypes, forcedDevice ?? undefined) });
  } catch (error) {
    model().set({
      choice: null,
      load: { status: "failed", message: error instanceof Error ? error.message : String(error) },
    });
  }
}

/** Loads the chosen model with progress; cancellable. */
export async function loadModel(): Promise<void> {
  const { modelId, choice } = model();
  if (!modelId || !choice) return;
  const controller = new AbortController();
  model().set({ load: { status: "loading", progress: null, controller } });
  try {
    const result = await modelWorker().call(
      "load",
      { modelId, modelRoot: MODEL_ROOT, device: choice.device, dtype: choice.dtype, sessions: choice.sessions },
      {
        signal: controller.signal,
        onEvent: (progress) => model().set({ load: { status: "loading", progress, controller } }),
      },
    );
    model().set({ load: { status: "ready", modelId, device: choice.device, dtype: choice.dtype, ...result } });
  } catch (error) {
    const aborted = error instanceof Error && error.name === "AbortError";
    model().set({ load: aborted ? { status: "idle" } : { status: "failed", message: describeFailure(error) } });
  }
}

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/device (was )?lost|GPUDevice/i.test(message)) {
    return `The GPU device was lost (${message}). Reload on WASM (Device: WASM) or with a smaller model.`;
  }
  if (/out of memory|OOM|allocation failed/i.test(message)) {
    return `The model ran out of memory (${message}). Lower the image's pixel budget, or choose WASM or a smaller model.`;
  }
  return message;
}

function startRun(question: string): { stream: AnswerStream; controller: AbortController } {
  const controller = new AbortController();
  const stream = new AnswerStream();
  model().set({
    highlightedBox: null,
    run: {
      question,
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

/** Applies one worker event to the run: the one path streamed text takes into the panels and the map. */
function applyEvent(stream: AnswerStream, event: GenerateEvent): void {
  if (event.status === "prefill") {
    model().updateRun((run) => ({
      ...run,
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

/** Asks a question about the current crop, streaming reasoning and answer into the store. */
export async function ask(question: string): Promise<void> {
  const crop = useAppStore.getState().lastImage;
  const { useSystemPrompt, decoding, budget } = model();
  if (!crop || model().load.status !== "ready") return;
  const { stream, controller } = startRun(question);
  try {
    const result = await modelWorker().call(
      "generate",
      { image: crop.image.png, instruction: question, useSystemPrompt, decoding, budget },
      { signal: controller.signal, onEvent: (event) => applyEvent(stream, event) },
    );
    model().updateRun((run) => ({ ...run, answer: stream.end(false), status: "done", result }));
  } catch (error) {
    const stopped = error instanceof Error && error.name === "AbortError";
    model().updateRun((run) => ({
      ...run,
      answer: stream.end(stopped),
      status: stopped ? "stopped" : "failed",
      error: stopped ? null : describeFailure(error),
    }));
  }
}

/**
 * Feeds recorded model text through the same path as a live generation, piece by piece: random-weight demo models
 * never write boxes, so the tests replay a recorded grounding answer to check the panels, the map and the export.
 */
export function replayAnswer(question: string, pieces: string[]): void {
  const { stream } = startRun(question);
  pieces.forEach((piece, i) => {
    applyEvent(stream, { status: "token", piece, tokens: i + 1, ttftMs: 0, tokensPerSecond: 0 });
  });
  model().updateRun((run) => ({ ...run, answer: stream.end(false), status: "done" }));
}
