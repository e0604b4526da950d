/**
 * Runs a converted folder's three graphs directly with onnxruntime-node, the way transformers.js strings them
 * together: vision encoder, token embedding with the image rows overwritten by the packed image features, then the
 * decoder (prefill, then one token per step with the KV cache it returned).
 */
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { argmax } from "../qwen3-vl/math.ts";
import type { Grid } from "../qwen3-vl/vision.ts";

/** File suffix of a dtype's graphs: "" (fp32), "_q4", "_q4f16". */
export type GraphSuffix = "" | "_q4" | "_q4f16";

export interface GraphRunOptions {
  modelDir: string;
  suffix: GraphSuffix;
  ids: number[];
  imageTokenId: number;
  pixelValues?: Float32Array;
  grid?: Grid;
  /** Three rows of prompt positions, and the shared position of each decode step after the first. */
  positions: number[][];
  decodePositions: number[];
  /** Ids fed at each decode step (teacher forcing, so every dtype sees the same context); default: its own picks. */
  forcedIds?: number[];
  steps: number;
}

export interface GraphRun {
  /** Packed vision output [tokens, hidden·(1 + DeepStack levels)]: merger ‖ level 0 ‖ level 1 ‖ … */
  features?: Float32Array;
  logits: Float32Array[];
  /** The graph's own argmax at each step. */
  ids: number[];
}

const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(modelDir: string, name: string): Promise<ort.InferenceSession> {
  const path = join(modelDir, "onnx", `${name}.onnx`);
  let found = sessions.get(path);
  if (!found) {
    found = ort.InferenceSession.create(path);
    sessions.set(path, found);
  }
  return found;
}

async function imageFeatures(options: GraphRunOptions): Promise<Float32Array | undefined> {
  const { pixelValues, grid } = options;
  if (!pixelValues || !grid) return undefined;
  const vision = await session(options.modelDir, `vision_encoder${options.suffix}`);
  const { image_features } = await vision.run({
    pixel_values: new ort.Tensor("float32", pixelValues, [pixelValues.length / 1536, 1536]),
    image_grid_thw: int64(grid, [1, 3]),
  });
  return image_features.data as Float32Array;
}

/** Empty past keys/values in the type the decoder declares (float16 for q4f16). */
function emptyPast(decoder: ort.InferenceSession): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (const input of decoder.inputMetadata) {
    if (!input.name.startsWith("past_key_values.") || !input.isTensor) continue;
    const [, heads, , headDim] = input.shape as [unknown, number, unknown, number];
    const data = input.type === "float16" ? new Uint16Array(0) : new Float32Array(0);
    past[input.name] = new ort.Tensor(input.type as "float32" | "float16", data, [1, heads, 0, headDim]);
  }
  return past;
}

function presentAsPast(outputs: ort.InferenceSession.OnnxValueMapType): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (const [name, value] of Object.entries(outputs))
    if (name.startsWith("present.")) past[name.replace("present.", "past_key_values.")] = value as ort.Tensor;
  return past;
}

export async function runGraphs(options: GraphRunOptions): Promise<GraphRun> {
  const { modelDir, suffix, ids, imageTokenId, steps } = options;
  const features = await imageFeatures(options);
  const embed = await session(modelDir, `embed_tokens${suffix}`);
  const decoder = await session(modelDir, `decoder_model_merged${suffix}`);
  const { inputs_embeds } = await embed.run({ input_ids: int64(ids, [1, ids.length]) });
  const width = inputs_embeds.dims[2] as number;
  if (features) {
    const packed = inputs_embeds.data as Float32Array;
    let row = 0;
    ids.forEach((id, i) => {
      if (id === imageTokenId) packed.set(features.subarray(row * width, ++row * width), i * width);
    });
  }
  let outputs = await decoder.run({
    inputs_embeds,
    attention_mask: int64(new Array(ids.length).fill(1), [1, ids.length]),
    position_ids: int64(options.positions.flat(), [3, 1, ids.length]),
    num_logits_to_keep: int64([1], []),
    ...emptyPast(decoder),
  });
  const run: GraphRun = { features, logits: [], ids: [] };
  let total = ids.length;
  for (let step = 0; step < steps; step++) {
    const logits = (outputs.logits as ort.Tensor).data as Float32Array;
    run.logits.push(logits);
    run.ids.push(argmax(logits));
    if (step === steps - 1) break;
    const next = options.forcedIds?.[step] ?? run.ids[step];
    const position = options.decodePositions[step];
    total++;
    outputs = await decoder.run({
      inputs_embeds: (await embed.run({ input_ids: int64([next], [1, 1]) })).inputs_embeds,
      attention_mask: int64(new Array(total).fill(1), [1, total]),
      position_ids: int64([position, position, position], [3, 1, 1]),
      num_logits_to_keep: int64([1], []),
      ...presentAsPast(outputs),
    });
  }
  return run;
}
