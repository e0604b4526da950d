/**
 * The 8B-shaped checkpoint: GeoZero-8B's exact architecture with seeded random weights (bf16, 4 shards with a
 * `model.safetensors.index.json`, the hub's tensor names, the real Qwen3 tokenizer), made once under `.cache/` and
 * reused while its inputs are unchanged.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, statfs, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { GEOZERO_8B_SIZES, qwen3VLTensorShapes, writeSyntheticSnapshot } from "../convert/testing/synthetic.ts";

export const FULL_SIZE_SNAPSHOT = ".cache/geozero-8b-shaped-hf";
const SEED = 8;
const SHARDS = 4;
const STAMP = ".inputs-sha256";
/** Room left on the disk beside what a step writes. */
export const DISK_MARGIN_BYTES = 1e9;

/** Bytes of the checkpoint's bf16 tensors. */
export function fullSizeCheckpointBytes(): number {
  return qwen3VLTensorShapes(GEOZERO_8B_SIZES).reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 2), 0);
}

/** Raised when a disk cannot hold what a step is about to write; names the folder, the need and the fix. */
export class DiskSpaceError extends Error {
  override readonly name = "DiskSpaceError";
  constructor(
    readonly folder: string,
    readonly neededBytes: number,
    readonly freeBytes: number,
    what: string,
  ) {
    super(
      `${what} needs ${gb(neededBytes)} GB in ${folder} (with ${gb(DISK_MARGIN_BYTES)} GB to spare), but its disk has ` +
        `${gb(freeBytes)} GB free. Free some space, or choose a folder on a larger disk.`,
    );
  }
}

const gb = (bytes: number) => (bytes / 1e9).toFixed(1);

/** Free bytes on the disk that holds `path` (or its nearest existing parent). */
export async function freeBytesAt(path: string): Promise<number> {
  let dir = resolve(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** Throws a DiskSpaceError unless `neededBytes` (plus a margin) fit on the disk of `folder`. */
export async function ensureFreeSpace(folder: string, neededBytes: number, what: string): Promise<void> {
  const free = await freeBytesAt(folder);
  if (free < neededBytes + DISK_MARGIN_BYTES) throw new DiskSpaceError(resolve(folder), neededBytes, free, what);
}

function inputsHash(): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ GEOZERO_8B_SIZES, SEED, SHARDS, version: 1 }));
  for (const file of ["tools/convert/testing/synthetic.ts", "tools/full-size/checkpoint.ts"]) {
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
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
