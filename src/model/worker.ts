/// <reference lib="webworker" />
import {
  AutoProcessor,
  env,
  InterruptableStoppingCriteria,
  type Processor,
  Qwen3VLForConditionalGeneration,
  RawImage,
  type Tensor,
  TextStreamer,
} from "@huggingface/transformers";
import ortMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url";
import ortWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url";
import { serveWorker } from "../io/worker-rpc";
import { modelInputFor } from "../tasks/model-input-size";
import { buildMessages, type Decoding } from "../tasks/prompts";
import { probeDevice } from "./device";
import { filesForDtype } from "./manifest";
import type { GenerateEvent, GenerateRequest, GenerateResult, ModelMessages } from "./messages";
import { ensureModelFiles, MODEL_CACHE } from "./model-files";
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
  model: Awaited<ReturnType<typeof Qwen3VLForConditionalGeneration.from_pretrained>>;
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
  const model = await Qwen3VLForConditionalGeneration.from_pretrained(request.modelId, {
    device: request.device,
    dtype: request.sessions as unknown as "q4",
  });
  const ready: Loaded = { processor, model };
  if (request.device === "webgpu") await watchDeviceLoss();
  emit({ status: "warmup" });
  await warmUp(ready);
  loaded = ready;
  const seconds = (performance.now() - started) / 1000;
  emit({ status: "ready", fromCache: downloadedBytes === 0, seconds });
  return { seconds, fromCache: downloadedBytes === 0 };
}

/** One short generation on a small image, so shaders compile before the user's first question. */
async function warmUp({ processor, model }: Loaded): Promise<void> {
  const image = new RawImage(new Uint8ClampedArray(64 * 64 * 3).fill(128), 64, 64, 3);
  const text = processor.apply_chat_template(buildMessages("Warm up.", false), { add_generation_prompt: true });
  const inputs = await processor(text, image);
  await model.generate({ ...inputs, max_new_tokens: 1, do_sample: false });
}

async function unload(): Promise<void> {
  await loaded?.model.dispose();
  loaded = null;
}

function generationOptions(decoding: Decoding): { options: Record<string, unknown>; note: string | null } {
  switch (decoding.kind) {
    case "greedy":
      return { options: { do_sample: false, max_new_tokens: decoding.maxNewTokens }, note: null };
    case "sample":
      return {
        options: {
          do_sample: true,
          temperature: decoding.temperature,
          top_p: decoding.topP,
          top_k: decoding.topK,
          max_new_tokens: decoding.maxNewTokens,
        },
        note: null,
      };
    case "beam":
      return {
        options: { do_sample: false, max_new_tokens: decoding.maxNewTokens },
        note: "Beam search is not built yet (transformers.js 4.3.1 silently runs greedy for num_beams > 1); this ran greedy.",
      };
  }
}

async function generate(
  request: GenerateRequest,
  emit: (event: GenerateEvent) => void,
  signal: AbortSignal,
): Promise<GenerateResult> {
  if (!loaded) throw new Error("No model is loaded; load one in the Model panel first.");
  const { processor, model } = loaded;
  const started = performance.now();
  const imageProcessor = (processor as unknown as { image_processor: { min_pixels: number; max_pixels: number } })
    .image_processor;
  imageProcessor.min_pixels = request.budget.minPixels;
  imageProcessor.max_pixels = request.budget.maxPixels;
  const image = await modelImage(request.image, request.budget);
  const prompt = processor.apply_chat_template(buildMessages(request.instruction, request.useSystemPrompt), {
    add_generation_prompt: true,
  });
  const inputs = await processor(prompt, image);
  const [, , gridH, gridW] = [0, ...(inputs.image_grid_thw.tolist() as bigint[][])[0]].map(Number);
  emit({ status: "prefill", inputWidth: gridW * 16, inputHeight: gridH * 16, promptTokens: inputs.input_ids.dims[1] });

  const stopping = new InterruptableStoppingCriteria();
  signal.addEventListener("abort", () => stopping.interrupt(), { once: true });
  let tokens = 0;
  let firstTokenAt = 0;
  let text = "";
  const streamer = new TextStreamer(processor.tokenizer as never, {
    skip_prompt: true,
    skip_special_tokens: true,
    callback_function: (piece: string) => {
      text += piece;
      emit({
        status: "token",
        piece,
        tokens,
        ttftMs: firstTokenAt - started,
        tokensPerSecond: rate(tokens, firstTokenAt),
      });
    },
    token_callback_function: () => {
      tokens++;
      if (tokens === 1) firstTokenAt = performance.now();
    },
  });
  const { options, note } = generationOptions(request.decoding);
  const output = (await model.generate({ ...inputs, ...options, streamer, stopping_criteria: stopping })) as Tensor;
  const generated = output.dims[1] - inputs.input_ids.dims[1];
  return {
    text,
    tokens: generated,
    stopped: signal.aborted,
    ttftMs: firstTokenAt ? firstTokenAt - started : 0,
    tokensPerSecond: rate(generated, firstTokenAt),
    totalMs: performance.now() - started,
    note,
  };
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

async function watchDeviceLoss(): Promise<void> {
  deviceLost = null;
  const device = await (env.backends.onnx.webgpu as { device?: Promise<GPUDevice> } | undefined)?.device;
  void device?.lost.then((info) => {
    deviceLost = info;
  });
}

/**
 * Fails a load or generation during which the WebGPU device was lost, naming the loss: ONNX Runtime's own error
 * rarely does, and on a lost device a run may even "succeed" with meaningless output.
 */
async function namingDeviceLoss<T>(work: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    if (!deviceLost || (error instanceof Error && error.name === "AbortError")) throw error;
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
