import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { chunkName } from "../../src/convert/graph/external-data.ts";
import { type Checkpoint, openCheckpoint, type SnapshotReader } from "../../src/convert/safetensors/read.ts";
import type { FileSink, FolderSink, WrittenFile } from "../../src/convert/sink.ts";
import { FileSource } from "../io/file-source.ts";

/** Reads a text file, or undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** A Hugging Face snapshot folder on disk, as the converter reads it. */
export function snapshotFolder(snapshotDir: string): SnapshotReader {
  return {
    label: snapshotDir,
    readText: (name) => readTextIfExists(join(snapshotDir, name)),
    open: (name) => new FileSource(join(snapshotDir, name)),
  };
}

/** Writes a model folder under `dir` on disk, each file hashed (SHA-256) as it is written. */
export function folderOnDisk(dir: string): FolderSink {
  return {
    async create(path: string): Promise<FileSink> {
      const target = join(dir, path);
      await mkdir(dirname(target), { recursive: true });
      return new DiskFile(target);
    },
  };
}

class DiskFile implements FileSink {
  readonly resumedBytes = 0;
  private readonly fd: number;
  private readonly hash: Hash = createHash("sha256");
  private position = 0;

  constructor(private readonly path: string) {
    this.fd = openSync(path, "w");
  }

  write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.byteLength) {
      done += writeSync(this.fd, bytes, done, bytes.byteLength - done, this.position + done);
    }
    this.position += bytes.byteLength;
    this.hash.update(bytes);
  }

  skip(): void {
    throw new Error(`${this.path}: a new file holds no bytes to step over.`);
  }

  async close(): Promise<WrittenFile> {
    closeSync(this.fd);
    return { name: basename(this.path), bytes: this.position, sha256: this.hash.digest("hex") };
  }
}

/** Sinks for the first `count` external-data chunks of `modelFileName` in `dir` (tests that build graphs by hand). */
export async function chunkSinksOnDisk(dir: string, modelFileName: string, count: number) {
  const folder = folderOnDisk(dir);
  const sinks = new Map<string, FileSink>();
  for (let i = 0; i < count; i++) {
    const name = chunkName(modelFileName, i);
    sinks.set(name, await folder.create(name, 0));
  }
  return sinks;
}

/** Opens the weights of a Hugging Face snapshot folder on disk. */
export function openCheckpointDir(snapshotDir: string, signal?: AbortSignal): Promise<Checkpoint> {
  return openCheckpoint(snapshotFolder(snapshotDir), signal);
}
