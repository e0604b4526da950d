/// <reference lib="webworker" />
import { AutoProcessor, env, type Processor, RawImage } from "@huggingface/transformers";
import ortMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url";
import ortWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url";
import { serveWorker } from "../io/worker-rpc";
import { modelInputFor } from "../tasks/model-input-size";
import { probeDevice } from "./device";
import { type GenerationOutput, Generator } from "./generation/generator";
import { promptFromInstruction } from "./generation/inputs";
import { filesForDtype } from "./manifest";
import type { GenerateEvent, GenerateRequest, GenerateResult, ModelMessages } from "./messages";
import { ensureModelFiles, MODEL_CACHE } from "./model-files";
import { GeoZeroQwen3VL } from "./qwen3-vl/model";
import { describeFolder, filesFromConfig, folderUrl } from "./sources";

// Offline and private by construction: ONNX Runtime's files come from this app, models only from /model-cache/.
if (env.backends.onnx.wasm) env.backends.onnx.wasm.wasmPaths = { mjs: ortMjsUrl, wasm: ortWasmUrl };
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
env.useCustomCache = true;
env.customCache = {
  match: async (key: string) => (await caches.open(MODEL_CACHE)).match(new URL(key, self.location.origin).href),
  put: async () => {},
};

interface Loaded {
  processor: Processor;
  generator: Generator;
}

let loaded: Loaded | null = null;

async function load(
  request: ModelMessages["load"]["request"],
  emit: (event: import("./progress").LoadProgress) => void,
  signal: AbortSignal,
) {
  const started = performance.now();
  await unload();
  const root = new URL(request.modelRoot, self.location.origin).href;
  const location = { label: request.modelId, root, folder: request.modelId };
  env.localModelPath = root;
  const folder = await describeFolder(location, fetch, signal);
  const files = folder.manifest
    ? filesForDtype(folder.manifest, request.sessions)
    : filesFromConfig(folder.config ?? {}, request.sessions);
  const base = folderUrl(location);
  const { downloadedBytes } = await ensureModelFiles(base, files, emit, signal);
  emit({ status: "initialise", device: request.device, dtype: request.dtype });
  const processor = await AutoProcessor.from_pretrained(request.modelId);
  const model = await GeoZeroQwen3VL.from_pretrained(request.modelId, {
    device: request.device,
    dtype: request.sessions as unknown as "q4",
  });
  const ready: Loaded = { processor, generator: new Generator(model, processor.tokenizer as never) };
  if (request.device === "webgpu") await watchDeviceLoss();
  emit({ status: "warmup" });
  await warmUp(ready);
  loaded = ready;
  const seconds = (performance.now() - started) / 1000;
  emit({ status: "ready", fromCache: downloadedBytes === 0, seconds });
  return { seconds, fromCache: downloadedBytes === 0 };
}

/** One short generation on a small image, so shaders compile before the user's first question. */
async function warmUp({ processor, generator }: Loaded): Promise<void> {
  const image = new RawImage(new Uint8ClampedArray(64 * 64 * 3).fill(128), 64, 64, 3);
  const prompt = await promptFromInstruction(processor, image, "Warm up.", false);
  await generator.generate(prompt, { kind: "greedy", maxNewTokens: 1 });
  generator.forget();
}

async function unload(): Promise<void> {
  stopWatchingDeviceLoss();
  if (!loaded) return;
  loaded.generator.dispose();
  await loaded.generator.model.dispose();
  loaded = null;
}

async function generate(
  request: GenerateRequest,
  emit: (event: GenerateEvent) => void,
  signal: AbortSignal,
): Promise<GenerateResult> {
  if (!loaded) throw new Error("No model is loaded; load one in the Model panel first.");
  const { processor, generator } = loaded;
  const started = performance.now();
  const imageProcessor = (processor as unknown as { image_processor: { min_pixels: number; max_pixels: number } })
    .image_processor;
  imageProcessor.min_pixels = request.budget.minPixels;
  imageProcessor.max_pixels = request.budget.maxPixels;
  if (request.fresh) generator.forget();
  const image = await modelImage(request.image, request.budget);
  const prompt = await promptFromInstruction(processor, image, request.instruction, request.useSystemPrompt);
  emit({ status: "prefill", inputWidth: image.width, inputHeight: image.height, promptTokens: prompt.inputIds.length });

  let tokens = 0;
  let firstTokenAt = 0;
  let pending = "";
  const flush = () => {
    emit({
      status: "token",
      piece: pending,
      tokens,
      ttftMs: firstTokenAt - started,
      tokensPerSecond: rate(tokens, firstTokenAt),
    });
    pending = "";
  };
  const decoding = request.seed === undefined ? request.decoding : { ...request.decoding, seed: request.seed };
  const output = await generator.generate(prompt, decoding, {
    signal,
    callbacks: {
      onText: (piece) => {
        pending += piece;
      },
      onToken: (_, generated) => {
        tokens = generated;
        if (generated === 1) firstTokenAt = performance.now();
        flush();
      },
      onBeams: (view) => {
        if (view.step === 1) firstTokenAt = performance.now();
        emit({ status: "beams", ...view });
      },
    },
  });
  tokens = output.tokenIds.length;
  if (pending) flush();
  return {
    text: output.text,
    tokens,
    stopped: output.stopped,
    ttftMs: output.firstTokenMs,
    tokensPerSecond: output.tokensPerSecond,
    totalMs: performance.now() - started,
    note: runNote(output),
  };
}

/** What the user may want to know about how the answer was made: reuse for follow-ups, the seed, the beam score. */
function runNote(output: GenerationOutput): string | null {
  const notes: string[] = [];
  const { imageFeaturesReused, reusedPrefixTokens } = output.prefill;
  if (imageFeaturesReused) notes.push("Reused this image's encoding from an earlier question");
  if (reusedPrefixTokens > 0) notes.push(`reused ${reusedPrefixTokens} prompt tokens already computed`);
  if (output.seed !== null) notes.push(`sampling seed ${output.seed}`);
  if (output.score !== null) notes.push(`beam score ${output.score.toFixed(3)}`);
  if (notes.length === 0) return null;
  const text = notes.join("; ");
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

/**
 * Decodes the crop and resizes it to the model's input size (sides multiples of 32 inside the budget) here, so the
 * processor's own resize is a no-op: its canvas path in a worker returns mismatched data in transformers.js 4.3.1.
 */
async function modelImage(png: Blob, budget: GenerateRequest["budget"]): Promise<RawImage> {
  const bitmap = await createImageBitmap(png);
  const input = modelInputFor(bitmap.width, bitmap.height, budget);
  const canvas = new OffscreenCanvas(input.width, input.height);
  const context = canvas.getContext("2d");
  if (!context)
    throw new Error("This browser gives no 2-D context for an OffscreenCanvas; use a current Chromium or Firefox.");
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, input.width, input.height);
  bitmap.close();
  const { data } = context.getImageData(0, 0, input.width, input.height);
  return new RawImage(data, input.width, input.height, 4).rgb();
}

function rate(tokens: number, firstTokenAt: number): number {
  if (tokens < 2 || !firstTokenAt) return 0;
  return (tokens - 1) / ((performance.now() - firstTokenAt) / 1000);
}

/** Set when ONNX Runtime's WebGPU device is lost; every later failure names it, since its own text rarely does. */
let deviceLost: GPUDeviceLostInfo | null = null;
const NEVER: Promise<never> = new Promise(() => {});
/** Settles (rejecting) when the device is lost: work in flight may never settle on a lost device. */
let deviceLoss: Promise<never> = NEVER;
/** The current watch; unloading ends it first, since disposing the sessions may destroy the device on purpose. */
let deviceWatch: object | null = null;

async function watchDeviceLoss(): Promise<void> {
  deviceLost = null;
  const watch = {};
  deviceWatch = watch;
  const device = await (env.backends.onnx.webgpu as { device?: Promise<GPUDevice> } | undefined)?.device;
  deviceLoss = new Promise<never>((_, reject) => {
    void device?.lost.then((info) => {
      if (deviceWatch !== watch) return;
      deviceLost = info;
      reject(deviceLostError(info, "the run was cut off"));
    });
  });
  deviceLoss.catch(() => {});
}

function stopWatchingDeviceLoss(): void {
  deviceWatch = null;
  deviceLoss = NEVER;
}

/**
 * Fails a load or generation during which the WebGPU device was lost, naming the loss: ONNX Runtime's own error
 * rarely does, a run in flight may wait forever on the lost device, and one may even "succeed" with meaningless
 * output.
 */
async function namingDeviceLoss<T>(work: () => Promise<T>): Promise<T> {
  if (deviceLost) throw deviceLostError(deviceLost, "reload the model");
  let result: T;
  try {
    result = await Promise.race([work(), deviceLoss]);
  } catch (error) {
    if (!deviceLost || (error instanceof Error && error.name === "AbortError")) throw error;
    if (error instanceof Error && error.message.startsWith("The WebGPU device was lost")) throw error;
    throw deviceLostError(deviceLost, error instanceof Error ? error.message : String(error));
  }
  if (deviceLost) throw deviceLostError(deviceLost, "the run's output is not trustworthy");
  return result;
}

function deviceLostError(info: GPUDeviceLostInfo, after: string): Error {
  loaded = null;
  return new Error(`The WebGPU device was lost (${info.reason}: ${info.message || "no message"}); ${after}.`);
}

serveWorker<ModelMessages>(self as unknown as DedicatedWorkerGlobalScope, {
  probe: () => probeDevice(),
  load: (request, { emit, signal }) => namingDeviceLoss(() => load(request, emit, signal)),
  generate: (request, { emit, signal }) => namingDeviceLoss(() => generate(request, emit, signal)),
  unload: async () => {
    await unload();
    return null;
  },
});
