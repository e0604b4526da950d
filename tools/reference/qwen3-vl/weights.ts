import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseQwen3VLConfig, type Qwen3VLConfig } from "../../../src/convert/qwen3_vl/config.ts";
import { openCheckpointDir } from "../../convert/node-folder.ts";

/** Special token ids the multimodal prompt is built from (top level of `config.json`). */
export interface SpecialTokens {
  image: number;
  video: number;
  visionStart: number;
}

/** A whole checkpoint in memory as float32, for the reference forward pass (small checkpoints only). */
export interface ReferenceModel {
  config: Qwen3VLConfig;
  tokens: SpecialTokens;
  /** Shape of each checkpoint tensor by name. */
  shapes: Map<string, number[]>;
  /** A tensor by its checkpoint name; fails naming the tensor when missing. */
  tensor(name: string): Float32Array;
}

function tokenId(config: Record<string, unknown>, key: string): number {
  const value = config[key];
  if (typeof value !== "number") throw new Error(`config.json: ${key} is ${JSON.stringify(value)}; expected a number.`);
  return value;
}

/** Reads `config.json` and every tensor of a Hugging Face snapshot folder. */
export async function loadReferenceModel(snapshotDir: string): Promise<ReferenceModel> {
  const rawConfig = JSON.parse(await readFile(join(snapshotDir, "config.json"), "utf8")) as Record<string, unknown>;
  const config = parseQwen3VLConfig(rawConfig);
  const checkpoint = await openCheckpointDir(snapshotDir);
  const tensors = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const [name, info] of checkpoint.tensors) {
    tensors.set(name, await checkpoint.readFloat32(name));
    shapes.set(name, info.shape);
  }
  return {
    config,
    shapes,
    tokens: {
      image: tokenId(rawConfig, "image_token_id"),
      video: tokenId(rawConfig, "video_token_id"),
      visionStart: tokenId(rawConfig, "vision_start_token_id"),
    },
    tensor(name) {
      const tied = name === "lm_head.weight" && config.text.tieWordEmbeddings;
      const found = tensors.get(tied ? EMBED : name);
      if (!found) throw new Error(`Tensor ${name} is not in ${snapshotDir} (${tensors.size} tensors).`);
      return found;
    },
  };
}

export const EMBED = "model.language_model.embed_tokens.weight";
