import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { FileSource } from "../../io/file-source.ts";
import { type Checkpoint, openCheckpoint } from "./read.ts";

/** Reads a text file, or undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Opens the weights of a Hugging Face snapshot folder on disk. */
export function openCheckpointDir(snapshotDir: string, signal?: AbortSignal): Promise<Checkpoint> {
  return openCheckpoint(snapshotDir, (shard) => new FileSource(join(snapshotDir, shard)), readTextIfExists, signal);
}
