/// <reference lib="webworker" />
// First, on its own: it chooses the ONNX Runtime build that transformers.js then picks up.
import "./ort-runtime";
import { AutoProcessor, env, type Processor, RawImage } from "@huggingface/transformers";
import { CallQueue } from "../io/call-queue";
import { errorFromData, errorMessage, isAbortError, registeredErrorTypes } from "../io/error-data";
import { serveWorker } from "../io/worker-rpc";
import { modelInputFor } from "../tasks/model-input-size";
import { BUILT_MODEL_ROOT, builtModelFiles, describeBuiltFolder } from "./built-models";
import { checkGpuLimits, probeDevice } from "./device";
import { CACHE_REORDER_SESSION } from "./generation/decoder";
import { type GenerationOutput, Generator, throwIfAbortedAfterEvents } from "./generation/generator";
import { promptFromInstruction } from "./generation/inputs";
import { CACHE_REORDER_GRAPH, filesForDtype, graphPath } from "./manifest";
import type { GenerateEvent, GenerateRequest, GenerateResult, LoadedModel, ModelMessages } from "./messages";
import { DeviceLostError, typedRuntimeError } from "./model-errors";
import { ensureModelFiles, verifyStreamed } from "./model-files";
import { ortRuntime, streamsWeights } from "./ort-runtime";
import { ReadPacer } from "./paced-blob";
import { GeoZeroQwen3VL } from "./qwen3-vl/model";
import { gpuResidentOutputs } from "./session-options";
import { describeFolder, filesFromConfig, folderUrl } from "./sources";

// Offline and private by construction: models only from the files this worker fetched and verified.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
env.useCustomCache = true;
// A built model's files live in this browser's storage, never on the server: an optional file transformers.js asks
// for that the build did not write is absent (a 404), not the page a static host answers for unknown paths.
const builtRoot = new URL(BUILT_MODEL_ROOT, self.location.origin).href;
const serverFetch = env.fetch;
env.fetch = (input, init) =>
  String(input).startsWith(builtRoot) ? Promise.resolve(new Response(null, { status: 404 })) : serverFetch(input, init);
/** The verified files of the load in progress, by absolute URL: transformers.js reads configs and graphs from here. */
let loadingFiles = new Map<string, Blob>();
env.customCache = {
  match: async (key: string) => {
    const blob = loadingFiles.get(new URL(key, self.location.origin).href);
    return blob ? new Response(blob) : undefined;
  },
  put: async () => {},
};

interface Loaded {
  processor: Processor;
  generator: Generator;
  identity: LoadedModel;
}

let loaded: Loaded | null = null;

async function load(
  request: ModelMessages["load"]["request"],
  emit: (event: import("./progress").LoadProgress) => void,
  signal: AbortSignal,
) {
  const started = performance.now();
  const root = new URL(request.modelRoot, self.location.origin).href;
  const location = { label: request.modelId, root, folder: request.modelId };
  // Everything that can find a folder wrong (its config, the GPU's limits, every file's hash) runs before the working
  // model is unloaded: a bad folder leaves it loaded.
  emit({ status: "checking-folder" });
  const built = request.store === "built";
  const folder = built ? await describeBuiltFolder(request.modelId) : await describeFolder(location, fetch, signal);
  const listed = folder.manifest ? filesForDtype(folder.manifest, request.sessions) : null;
  // Before any download: a weight that no buffer of this GPU can hold fails the load anyway, after minutes.
  if (listed && request.device === "webgpu") await checkGpuLimits(listed);
  const files =
    listed ??
    filesFromConfig(folder.config ?? {}, request.sessions).map((file) => ({ ...file, version: folder.version }));
  const base = folderUrl(location);
  const fileSet = built
    ? await builtModelFiles(request.modelId, base, files, emit)
    : await ensureModelFiles(base, files, emit, signal);
  const { blobs, downloadedBytes, notCached } = fileSet;
  signal.throwIfAborted();
  await unload();
  env.localModelPath = root;
  emit({ status: "initialise", device: request.device, dtype: request.dtype });
  const ready = await createModel(request, blobs, base);
  // The page may have given the load up while the sessions were created or warmed up (minutes at full size): the new
  // sessions are disposed and the cancel thrown; no model is loaded then (the earlier one was unloaded to make room).
  try {
    // Files streamed from the server (not kept) were hashed as ONNX Runtime read them: a bad one fails the load here.
    await verifyStreamed(fileSet);
    await throwIfAbortedAfterEvents(signal);
    if (request.device === "webgpu") await watchDeviceLoss();
    emit({ status: "warmup", device: request.device });
    await warmUp(ready, signal);
    await throwIfAbortedAfterEvents(signal);
  } catch (error) {
    stopWatchingDeviceLoss();
    await dispose(ready);
    throw error;
  }
  loaded = ready;
  const seconds = (performance.now() - started) / 1000;
  const fromCache = downloadedBytes === 0 && fileSet.streamed.length === 0;
  emit({ status: "ready", fromCache, seconds });
  return { seconds, fromCache, notCached, streamedWeights: streamsWeights };
}

/** The processor and sessions of a load from its verified files; sessions made before a failure are disposed. */
async function createModel(
  request: ModelMessages["load"]["request"],
  blobs: Map<string, Blob>,
  base: string,
): Promise<Loaded> {
  loadingFiles = blobs;
  let model: GeoZeroQwen3VL | null = null;
  try {
    const processor = await AutoProcessor.from_pretrained(request.modelId);
    model = await GeoZeroQwen3VL.from_pretrained(request.modelId, {
      // transformers.js knows no devices of a runtime registered from outside (ort-runtime.ts): "auto" with the
      // execution provider named here instead.
      device: "auto",
      dtype: request.sessions as unknown as "q4",
      // External data goes to ONNX Runtime as Blobs, which its JSPI build reads initializer by initializer.
      use_external_data_format: false,
      session_options: await sessionOptions(request.device, blobs, base),
    });
    await attachCacheReorder(
      model,
      blobs.get(`${base}${graphPath(CACHE_REORDER_GRAPH, request.sessions.decoder_model_merged)}`),
      request.device,
    );
    const { modelId, modelRoot, device, dtype } = request;
    const generator = new Generator(model, processor.tokenizer as never);
    return { processor, generator, identity: { modelId, modelRoot, device, dtype } };
  } catch (error) {
    await model?.dispose();
    throw error;
  } finally {
    loadingFiles = new Map();
  }
}

/**
 * Adds the folder's cache-reorder graph as a session beside transformers.js's three (older folders have none), on the
 * same device, its outputs left where the cache lives.
 */
async function attachCacheReorder(model: GeoZeroQwen3VL, graph: Blob | undefined, device: "webgpu" | "wasm") {
  if (!graph) return;
  const session = await ortRuntime.InferenceSession.create(new Uint8Array(await graph.arrayBuffer()), {
    executionProviders: [device],
    preferredOutputLocation: device === "webgpu" ? "gpu-buffer" : "cpu",
  });
  (model.sessions as Record<string, unknown>)[CACHE_REORDER_SESSION] = session;
}

/**
 * Session options shared by the three sessions: the execution provider, the external data, and on WebGPU the KV
 * cache kept in GPU buffers (names another session lacks are ignored).
 */
async function sessionOptions(device: "webgpu" | "wasm", blobs: Map<string, Blob>, base: string) {
  const config = JSON.parse((await blobs.get(`${base}config.json`)?.text()) ?? "{}") as {
    text_config?: { num_hidden_layers?: number };
  };
  const layers = config.text_config?.num_hidden_layers ?? 0;
  const preferredOutputLocation = device === "webgpu" ? gpuResidentOutputs(layers) : {};
  // One pacer for the load: the sessions are created side by side, and their uploads share the one GPU queue.
  const pacer = new ReadPacer(gpuQueueDone);
  const externalData = externalDataOf(blobs, base).map(({ path, data }) => ({
    path,
    data: device === "webgpu" ? pacer.pace(data) : data,
  }));
  return { executionProviders: [device], externalData, preferredOutputLocation };
}

/** Resolves once ONNX Runtime's GPU queue has done the work submitted so far (its device exists by then). */
async function gpuQueueDone(): Promise<void> {
  const device = (await ortRuntime.env.webgpu.device) as GPUDevice | undefined;
  await device?.queue.onSubmittedWorkDone();
}

/**
 * Every external-data file of the load, named as the graphs' initializers name them (bare chunk names). Each session
 * is given all of them and reads only those its initializers point to; mounting a Blob costs nothing.
 */
function externalDataOf(blobs: Map<string, Blob>, base: string): Array<{ path: string; data: Blob }> {
  const files: Array<{ path: string; data: Blob }> = [];
  for (const [url, data] of blobs) {
    const path = url.slice(base.length);
    if (/^onnx\/[^/]+\.onnx_data(_\d+)?$/.test(path)) files.push({ path: path.slice("onnx/".length), data });
  }
  return files;
}

/** One short generation on a small image, so shaders compile before the user's first question. */
async function warmUp({ processor, generator }: Loaded, signal: AbortSignal): Promise<void> {
  const image = new RawImage(new Uint8ClampedArray(64 * 64 * 3).fill(128), 64, 64, 3);
  const prompt = await promptFromInstruction(processor, image, "Warm up.", false);
  await generator.generate(prompt, { kind: "greedy", maxNewTokens: 1 }, { signal });
  generator.forget();
}

async function unload(): Promise<void> {
  stopWatchingDeviceLoss();
  if (!loaded) return;
  const held = loaded;
  loaded = null;
  await dispose(held);
}

async function dispose({ generator }: Loaded): Promise<void> {
  generator.dispose();
  await generator.model.dispose();
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
        emit({
          status: "beams",
          ...view,
          firstStepMs: firstTokenAt - started,
          stepsPerSecond: rate(view.step, firstTokenAt),
        });
      },
    },
  });
  tokens = output.tokenIds.length;
  if (pending) flush();
  return {
    text: output.text,
    tokenIds: output.tokenIds,
    transfers: output.transfers,
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
    if (!deviceLost || isAbortError(error)) throw error;
    if (error instanceof DeviceLostError) throw error;
    throw deviceLostError(deviceLost, errorMessage(error));
  }
  if (deviceLost) throw deviceLostError(deviceLost, "the run's output is not trustworthy");
  return result;
}

function deviceLostError(info: GPUDeviceLostInfo, after: string): DeviceLostError {
  loaded = null;
  return new DeviceLostError(info.reason, info.message, after);
}

/** Runs one call, naming a lost device and typing ONNX Runtime's memory and device errors for the page. */
async function modelCall<T>(device: "webgpu" | "wasm" | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await namingDeviceLoss(work);
  } catch (error) {
    throw typedRuntimeError(error, device ?? loaded?.identity.device ?? "wasm");
  }
}

// One queue: a load, an unload or a question waits until the call before it has returned, so a reload never disposes
// the sessions a generation still uses, and a stopped generation ends before the next question starts.
serveWorker<ModelMessages>(
  self as unknown as DedicatedWorkerGlobalScope,
  {
    probe: () => probeDevice(),
    load: (request, { emit, signal }) => modelCall(request.device, () => load(request, emit, signal)),
    generate: (request, { emit, signal }) => modelCall(undefined, () => generate(request, emit, signal)),
    loaded: async () => loaded?.identity ?? null,
    unload: async () => {
      await unload();
      return null;
    },
    // The browser tests send every error type this bundle registers back to the page, which must re-create each.
    registeredErrors: async () => (__TEST_HOOKS__ ? [...registeredErrorTypes().keys()] : []),
    raise: async ({ name }) => {
      if (!__TEST_HOOKS__) throw new Error("raise is a test build's message.");
      throw errorFromData({ name, message: `${name} raised in the model worker`, fields: {} });
    },
  },
  { queue: new CallQueue() },
);
