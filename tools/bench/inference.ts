/**
 * Inference benchmark (Node, onnxruntime-node, the tiny demo model at q4): the app's generation path (the
 * src/model/generation module the worker runs, over the project's model class) against the floor, a bare loop of
 * `session.run` calls on the same graphs with the same KV-cache handling (embed one token, run the decoder with the
 * past, greedy argmax). Both decode the same number of tokens from the same text prompt; runs alternate.
 * Also: what a follow-up question on the same image saves (kept vision features and prompt-prefix KV cache).
 */
import { resolve } from "node:path";
import { AutoProcessor, env, type Processor, RawImage } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { Generator } from "../../src/model/generation/generator";
import { promptFromInstruction, promptFromText } from "../../src/model/generation/inputs";
import { argmax } from "../../src/model/generation/sampling";
import { GeoZeroQwen3VL } from "../../src/model/qwen3-vl/model";
import type { BenchPart } from "./parts";

const MODEL = "geozero-tiny";
const NEW_TOKENS = 64;
const REPEATS = 3;
const PROMPT = "Describe the land cover of a satellite scene with fields, a river and a village.";

async function appDecodeRate(generator: Generator, processor: Processor): Promise<number> {
  // As min_new_tokens: eos is masked so every run decodes NEW_TOKENS tokens.
  const noEos = (scores: Float32Array) => {
    for (const eos of generator.eosTokenIds) scores[eos] = Number.NEGATIVE_INFINITY;
  };
  const output = await generator.generate(
    promptFromText(processor, PROMPT),
    { kind: "greedy", maxNewTokens: NEW_TOKENS },
    { processor: noEos },
  );
  if (output.tokenIds.length !== NEW_TOKENS) throw new Error(`decoded ${output.tokenIds.length} tokens`);
  return output.tokensPerSecond;
}

/** Image encode + prefill of a second question on the same 448 × 416 crop: from scratch, and as a follow-up. */
async function followUpSaving(generator: Generator, processor: Processor): Promise<string> {
  const pixels = new Uint8ClampedArray(448 * 416 * 3).map((_, i) => (i * 131) % 251);
  const image = new RawImage(pixels, 448, 416, 3);
  const first = await promptFromInstruction(processor, image, "What land cover dominates this scene?", true);
  const second = await promptFromInstruction(processor, image, "Is there water?", true);
  const once = { kind: "greedy", maxNewTokens: 1 } as const;
  const fresh: number[] = [];
  const followUp: number[] = [];
  let reused = "";
  for (let i = 0; i < REPEATS; i++) {
    generator.forget();
    const cold = await generator.generate(second, once);
    fresh.push(cold.prefill.imageEncodeMs + cold.prefill.prefillMs);
    generator.forget();
    await generator.generate(first, once);
    const warm = await generator.generate(second, once);
    followUp.push(warm.prefill.imageEncodeMs + warm.prefill.prefillMs);
    reused = `image features reused: ${warm.prefill.imageFeaturesReused}, prompt tokens reused: ${warm.prefill.reusedPrefixTokens} of ${warm.prefill.promptTokens}`;
  }
  generator.forget();
  const runs = (xs: number[]) => `median ${median(xs).toFixed(1)} ms  runs ${xs.map((t) => t.toFixed(1)).join(", ")}`;
  return [
    `second question on a 448 × 416 crop (${second.image?.tokens} visual tokens), image encode + prefill:`,
    `  from scratch: ${runs(fresh)}`,
    `  follow-up:    ${runs(followUp)}  (${reused})`,
    `  saved: ${(median(fresh) - median(followUp)).toFixed(1)} ms (${((1 - median(followUp) / median(fresh)) * 100).toFixed(0)}%)`,
  ].join("\n");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
    const best = argmax(logits.subarray(logits.length - (out.logits.dims[2] as number)));
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
    const processor = await AutoProcessor.from_pretrained(MODEL);
    const promptIds = promptFromText(processor, PROMPT).inputIds;
    const loadStarted = performance.now();
    const model = await GeoZeroQwen3VL.from_pretrained(MODEL, { dtype: "q4" });
    const appLoad = performance.now() - loadStarted;
    const generator = new Generator(model, processor.tokenizer as never);
    const dir = resolve("model-cache", MODEL, "onnx");
    const embed = await ort.InferenceSession.create(`${dir}/embed_tokens_q4.onnx`);
    const decoder = await ort.InferenceSession.create(`${dir}/decoder_model_merged_q4.onnx`);
    const { num_hidden_layers, num_key_value_heads, head_dim } = config.text_config;
    const app: number[] = [];
    const bare: number[] = [];
    await bareDecodeRate(embed, decoder, promptIds, num_hidden_layers, num_key_value_heads, head_dim);
    await appDecodeRate(generator, processor);
    for (let i = 0; i < REPEATS; i++) {
      app.push(await appDecodeRate(generator, processor));
      bare.push(await bareDecodeRate(embed, decoder, promptIds, num_hidden_layers, num_key_value_heads, head_dim));
    }
    console.log(
      `model: ${MODEL} q4 on onnxruntime-node CPU, text prompt of ${promptIds.length} tokens, ${NEW_TOKENS} new tokens`,
    );
    console.log(`model load (transformers.js, from disk): ${appLoad.toFixed(0)} ms`);
    console.log(
      `app decode (src/model/generation):        median ${median(app).toFixed(1)} tokens/s  runs ${app.map((r) => r.toFixed(1)).join(", ")}`,
    );
    console.log(
      `bare session.run loop:                    median ${median(bare).toFixed(1)} tokens/s  runs ${bare.map((r) => r.toFixed(1)).join(", ")}`,
    );
    console.log(`ratio app / bare: ${(median(app) / median(bare)).toFixed(2)} (target ≥ 0.9)`);
    console.log(await followUpSaving(generator, processor));
    generator.dispose();
    await model.dispose();
  },
};
