/**
 * Inference benchmark (Node, onnxruntime-node, the tiny demo model at q4): the app's generation path
 * (transformers.js `generate` with the project's folder) against the floor, a bare loop of `session.run` calls on the
 * same graphs with the same KV-cache handling (embed one token, run the decoder with the past, greedy argmax).
 * Both decode the same number of tokens from the same text prompt; runs alternate.
 */
import { resolve } from "node:path";
import {
  AutoTokenizer,
  env,
  type Tensor as HfTensor,
  Qwen3VLForConditionalGeneration,
  TextStreamer,
} from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import type { BenchPart } from "./parts";

const MODEL = "geozero-tiny";
const NEW_TOKENS = 64;
const REPEATS = 3;
const PROMPT = "Describe the land cover of a satellite scene with fields, a river and a village.";

async function appDecodeRate(
  model: Awaited<ReturnType<typeof Qwen3VLForConditionalGeneration.from_pretrained>>,
  encoded: { input_ids: HfTensor; attention_mask: HfTensor },
  tokenizer: unknown,
): Promise<number> {
  let first = 0;
  let count = 0;
  const streamer = new TextStreamer(tokenizer as never, {
    skip_prompt: true,
    callback_function: () => {},
    token_callback_function: () => {
      count++;
      if (count === 1) first = performance.now();
    },
  });
  await model.generate({
    ...encoded,
    max_new_tokens: NEW_TOKENS,
    min_new_tokens: NEW_TOKENS,
    do_sample: false,
    streamer,
  });
  return (count - 1) / ((performance.now() - first) / 1000);
}

function int64(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);
}

async function bareDecodeRate(
  embed: ort.InferenceSession,
  decoder: ort.InferenceSession,
  promptIds: number[],
  layers: number,
  kvHeads: number,
  headDim: number,
): Promise<number> {
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < layers; i++) {
    for (const kind of ["key", "value"])
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor("float32", new Float32Array(0), [1, kvHeads, 0, headDim]);
  }
  let ids = promptIds;
  let position = 0;
  let first = 0;
  for (let step = 0; step < NEW_TOKENS; step++) {
    const { inputs_embeds } = await embed.run({ input_ids: int64(ids, [1, ids.length]) });
    const positions = ids.map((_, i) => position + i);
    const total = position + ids.length;
    const out = await decoder.run({
      inputs_embeds,
      attention_mask: int64(new Array(total).fill(1), [1, total]),
      position_ids: int64([...positions, ...positions, ...positions], [3, 1, ids.length]),
      num_logits_to_keep: new ort.Tensor("int64", BigInt64Array.from([1n]), []),
      ...past,
    });
    const logits = out.logits.data as Float32Array;
    const vocab = out.logits.dims[2];
    let best = 0;
    for (let v = 1; v < vocab; v++)
      if (logits[logits.length - vocab + v] > logits[logits.length - vocab + best]) best = v;
    past = {};
    for (let i = 0; i < layers; i++) {
      past[`past_key_values.${i}.key`] = out[`present.${i}.key`];
      past[`past_key_values.${i}.value`] = out[`present.${i}.value`];
    }
    position = total;
    ids = [best];
    if (step === 0) first = performance.now();
  }
  return (NEW_TOKENS - 1) / ((performance.now() - first) / 1000);
}

export const inferenceBench: BenchPart = {
  name: "inference",
  async run() {
    env.allowRemoteModels = false;
    env.localModelPath = resolve("model-cache");
    const config = (await import(resolve("model-cache", MODEL, "config.json"), { with: { type: "json" } })).default as {
      text_config: { num_hidden_layers: number; num_key_value_heads: number; head_dim: number };
    };
    const tokenizer = await AutoTokenizer.from_pretrained(MODEL);
    const encoded = tokenizer(PROMPT) as { input_ids: HfTensor; attention_mask: HfTensor };
    const inputIds = encoded.input_ids;
    const promptIds = (inputIds.tolist() as bigint[][])[0].map(Number);
    const loadStarted = performance.now();
    const model = await Qwen3VLForConditionalGeneration.from_pretrained(MODEL, { dtype: "q4" });
    const appLoad = performance.now() - loadStarted;
    const dir = resolve("model-cache", MODEL, "onnx");
    const embed = await ort.InferenceSession.create(`${dir}/embed_tokens_q4.onnx`);
    const decoder = await ort.InferenceSession.create(`${dir}/decoder_model_merged_q4.onnx`);
    const { num_hidden_layers, num_key_value_heads, head_dim } = config.text_config;
    const app: number[] = [];
    const bare: number[] = [];
    await bareDecodeRate(embed, decoder, promptIds, num_hidden_layers, num_key_value_heads, head_dim);
    for (let i = 0; i < REPEATS; i++) {
      app.push(await appDecodeRate(model, encoded, tokenizer));
      bare.push(await bareDecodeRate(embed, decoder, promptIds, num_hidden_layers, num_key_value_heads, head_dim));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      `model: ${MODEL} q4 on onnxruntime-node CPU, text prompt of ${promptIds.length} tokens, ${NEW_TOKENS} new tokens`,
    );
    console.log(`model load (transformers.js, from disk): ${appLoad.toFixed(0)} ms`);
    console.log(
      `app decode (transformers.js generate):   median ${median(app).toFixed(1)} tokens/s  runs ${app.map((r) => r.toFixed(1)).join(", ")}`,
    );
    console.log(
      `bare session.run loop:                    median ${median(bare).toFixed(1)} tokens/s  runs ${bare.map((r) => r.toFixed(1)).join(", ")}`,
    );
    console.log(`ratio app / bare: ${(median(app) / median(bare)).toFixed(2)} (target ≥ 0.9)`);
    await model.dispose();
  },
};
