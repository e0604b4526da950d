/**
 * The 8B-shaped checkpoint: GeoZero-8B's exact architecture with seeded random weights (bf16, 4 shards with a
 * `model.safetensors.index.json`, the hub's tensor names, the real Qwen3 tokenizer), made once under `.cache/` and
 * reused while its inputs are unchanged.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GEOZERO_8B_SIZES, qwen3VLTensorShapes, writeSyntheticSnapshot } from "../convert/testing/synthetic.ts";
import { ensureFreeSpace } from "../io/disk-space.ts";

export const FULL_SIZE_SNAPSHOT = ".cache/geozero-8b-shaped-hf";
const SEED = 8;
const SHARDS = 4;
const STAMP = ".inputs-sha256";
/** Bump when the synthetic weights or files change (tools/convert/testing/synthetic.ts): the checkpoint is remade. */
const WEIGHTS_VERSION = 1;

/** Bytes of the checkpoint's bf16 tensors. */
export function fullSizeCheckpointBytes(): number {
  return qwen3VLTensorShapes(GEOZERO_8B_SIZES).reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 2), 0);
}

function inputsHash(): string {
  return createHash("sha256").update(JSON.stringify({ GEOZERO_8B_SIZES, SEED, SHARDS, WEIGHTS_VERSION })).digest("hex");
}

/**
 * Makes the 8B-shaped checkpoint in `dir` unless an identical one is there already; refuses before writing anything
 * when the disk is too small. Returns whether it was made now.
 */
export async function makeFullSizeCheckpoint(dir = FULL_SIZE_SNAPSHOT, force = false): Promise<boolean> {
  const expected = inputsHash();
  const stamp = join(dir, STAMP);
  if (!force && existsSync(stamp) && readFileSync(stamp, "utf8") === expected) return false;
  await rm(dir, { recursive: true, force: true });
  await ensureFreeSpace(dir, fullSizeCheckpointBytes(), "The 8B-shaped checkpoint");
  await mkdir(dir, { recursive: true });
  await writeSyntheticSnapshot(dir, GEOZERO_8B_SIZES, { seed: SEED, shards: SHARDS, realTokenizer: true });
  await writeFile(stamp, expected);
  return true;
}
