/**
 * Browser side of the `inference-browser` benchmark, imported into the app page (Vite dev server) by
 * `inference-browser.ts`. Two ways to run the same graphs of the same model folder:
 * - the app: its model worker (transformers.js `generate`), through the worker RPC the UI uses;
 * - the floor: a bare loop of onnxruntime-web `session.run` calls in this page, with transformers.js's KV handling
 *   (present → past each step, kept on the GPU on WebGPU), the image encoded once, greedy argmax.
 */

import ortMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url";
import ortWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url";
import * as ort from "onnxruntime-web/webgpu";
import { MODEL_ROOT, modelWorker } from "../../src/model/client";
import { argmax } from "../../src/model/generation/sampling";
import { DTYPE_SUFFIX, type SessionDtypes } from "../../src/model/manifest";
import { removeCachedModels } from "../../src/model/model-files";
import { DEFAULT_PIXEL_BUDGET } from "../../src/tasks/model-input-size";

ort.env.wasm.wasmPaths = { mjs: ortMjsUrl, wasm: ortWasmUrl };

/** The benchmark's model folder in model-cache/. */
export const BENCH_MODEL = "geozero-tiny";
const IMAGE_SIDE = 224;
const QUESTION = "Describe the land cover of this scene.";

type Device = "webgpu" | "wasm";

/** Empties the app's model cache, so the next load is cold. */
export const clearModelCache = removeCachedModels;

/** Loads the model in the app's worker; seconds as the app reports them. */
export function appLoad(device: Device, dtype: string, sessions: SessionDtypes) {
  return modelWorker().call("load", { modelId: BENCH_MODEL, modelRoot: MODEL_ROOT, device, dtype, sessions });
}

/** Unloads the app's model. */
export function appUnload() {
  return modelWorker().call("unload", null);
}

async function benchImage(): Promise<Blob> {
  const canvas = new OffscreenCanvas(IMAGE_SIDE, IMAGE_SIDE);
  const context = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
  const gradient = context.createLinearGradient(0, 0, IMAGE_SIDE, IMAGE_SIDE);
  gradient.addColorStop(0, "#3a5f2a");
  gradient.addColorStop(1, "#8fb3c9");
  context.fillStyle = gradient;
  context.fillRect(0, 0, IMAGE_SIDE, IMAGE_SIDE);
  return canvas.convertToBlob({ type: "image/png" });
}

/** One greedy generation by the app on a 224 × 224 image. */
export async function appGenerate(maxNewTokens: number) {
  let promptTokens = 0;
  const started = performance.now();
  const result = await modelWorker().call(
    "generate",
    {
      image: await benchImage(),
      instruction: QUESTION,
      useSystemPrompt: false,
      decoding: { kind: "greedy", maxNewTokens },
      budget: DEFAULT_PIXEL_BUDGET,
    },
    {
      onEvent: (event) => {
        if (event.status === "prefill") promptTokens = event.promptTokens;
      },
    },
  );
  const { decodeBytesToCpu, decodeSteps } = result.transfers;
  return {
    tokens: result.tokens,
    bytesToCpuPerStep: decodeSteps > 0 ? decodeBytesToCpu / decodeSteps : 0,
    ttftMs: result.ttftMs,
    tokensPerSecond: result.tokensPerSecond,
    promptTokens,
    totalMs: performance.now() - started,
  };
}

interface TextConfig {
  num_hidden_layers: number;
  num_key_value_heads: number;
  head_dim: number;
}

interface BareModel {
  device: Device;
  vision: ort.InferenceSession;
  embed: ort.InferenceSession;
  decoder: ort.InferenceSession;
  text: TextConfig;
}

let bare: BareModel | null = null;

async function session(
  name: string,
  dtype: string,
  device: Device,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<ort.InferenceSession> {
  const file = `${name}${DTYPE_SUFFIX[dtype]}.onnx`;
  const folder = `${MODEL_ROOT}${BENCH_MODEL}/onnx/`;
  return ort.InferenceSession.create(`${folder}${file}`, {
    executionProviders: [device],
    externalData: [{ path: `${file}_data`, data: `${folder}${file}_data` }],
    ...options,
  });
}

/** Creates the three sessions in this page; milliseconds taken. */
export async function bareLoad(device: Device, sessions: SessionDtypes): Promise<number> {
  const started = performance.now();
  const config = await (await fetch(`${MODEL_ROOT}${BENCH_MODEL}/config.json`)).json();
  const text = config.text_config as TextConfig;
  const present = Array.from({ length: text.num_hidden_layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]);
  // As transformers.js does on WebGPU: the KV cache stays in GPU buffers between steps.
  const kvOnGpu: ort.InferenceSession.SessionOptions =
    device === "webgpu"
      ? { preferredOutputLocation: Object.fromEntries(present.flat().map((n) => [n, "gpu-buffer" as const])) }
      : {};
  bare = {
    device,
    text,
    vision: await session("vision_encoder", sessions.vision_encoder, device),
    embed: await session("embed_tokens", sessions.embed_tokens, device),
    decoder: await session("decoder_model_merged", sessions.decoder_model_merged, device, kvOnGpu),
  };
  return performance.now() - started;
}

/** Releases the bare sessions. */
export async function bareUnload(): Promise<void> {
  if (!bare) return;
  await Promise.all([bare.vision.release(), bare.embed.release(), bare.decoder.release()]);
  bare = null;
}

const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);

/** Runs the vision encoder once on a 224 × 224 image's patches; milliseconds. */
async function encodeImage(model: BareModel): Promise<number> {
  const side = IMAGE_SIDE / 16;
  const patches = side * side;
  const pixels = new Float32Array(patches * 1536).map((_, i) => Math.sin(i) * 0.5);
  const started = performance.now();
  const out = await model.vision.run({
    pixel_values: new ort.Tensor("float32", pixels, [patches, 1536]),
    image_grid_thw: int64([1, side, side], [1, 3]),
  });
  for (const tensor of Object.values(out)) await tensor.getData();
  return performance.now() - started;
}

/**
 * The floor: encode the image, prefill a prompt of `promptTokens` tokens, then decode `newTokens` greedily with
 * one embed and one decoder run per token, feeding present → past.
 */
export async function bareGenerate(promptTokens: number, newTokens: number) {
  if (!bare) throw new Error("bareLoad first");
  const model = bare;
  const { num_hidden_layers: layers, num_key_value_heads: heads, head_dim: headDim } = model.text;
  const started = performance.now();
  const encodeMs = await encodeImage(model);
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < layers; i++) {
    for (const kind of ["key", "value"])
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [1, heads, 0, headDim]);
  }
  let ids = Array.from({ length: promptTokens }, (_, i) => 100 + (i % 1000));
  let position = 0;
  let firstTokenAt = 0;
  for (let step = 0; step < newTokens; step++) {
    const { inputs_embeds } = await model.embed.run({ input_ids: int64(ids, [1, ids.length]) });
    const positions = ids.map((_, i) => position + i);
    const total = position + ids.length;
    const out = await model.decoder.run({
      inputs_embeds,
      attention_mask: int64(new Array(total).fill(1), [1, total]),
      position_ids: int64([...positions, ...positions, ...positions], [3, 1, ids.length]),
      num_logits_to_keep: new ort.Tensor("int64", BigInt64Array.from([1n]), []),
      ...past,
    });
    inputs_embeds.dispose();
    const logits = (await out.logits.getData()) as Float32Array;
    const next = argmax(logits.subarray(logits.length - out.logits.dims[2]));
    if (model.device === "webgpu") for (const tensor of Object.values(past)) tensor.dispose();
    past = {};
    for (let i = 0; i < layers; i++) {
      past[`past_key_values.${i}.key`] = out[`present.${i}.key`];
      past[`past_key_values.${i}.value`] = out[`present.${i}.value`];
    }
    position = total;
    ids = [next];
    if (step === 0) firstTokenAt = performance.now();
  }
  if (model.device === "webgpu") for (const tensor of Object.values(past)) tensor.dispose();
  const end = performance.now();
  return {
    encodeMs,
    ttftMs: firstTokenAt - started,
    tokensPerSecond: (newTokens - 1) / ((end - firstTokenAt) / 1000),
    tokens: newTokens,
  };
}

/** The page's JS heap in use (Chromium's performance.memory). */
export function jsHeapUsed(): number {
  return (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;
}
