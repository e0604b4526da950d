import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSHA256, type IHasher } from "hash-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSnapshot, writeModelFolder } from "../../src/convert/convert.ts";
import type { PartialTensor } from "../../src/convert/graph/weights.ts";
import type { SnapshotReader } from "../../src/convert/safetensors/read.ts";
import { type FileSink, type FolderSink, ResumableFileSink, type WrittenFile } from "../../src/convert/sink.ts";
import type { ByteSource } from "../../src/io/source.ts";
import { snapshotFolder } from "./node-folder.ts";
import { inlineQuantizer } from "./quant/pool.ts";
import { TINY_SIZES, writeSyntheticSnapshot } from "./testing/synthetic.ts";

/** What a resumable sink keeps of one file at a checkpoint: its bytes so far and its hash state. */
interface Saved {
  bytes: Uint8Array;
  state: Uint8Array;
  sha256?: string;
}

/**
 * A model folder in memory that resumes as the browser's does (src/model-build/opfs-folder.ts): files handed back
 * with the bytes and hash state saved at the last checkpoint.
 */
class MemoryFolder implements FolderSink {
  readonly files = new Map<
    string,
    { data: Uint8Array; length: number; hasher: IHasher; sha256?: string; finalState?: Uint8Array }
  >();
  constructor(private readonly saved: Map<string, Saved> = new Map()) {}

  async create(path: string, bytes: number): Promise<FileSink> {
    const saved = this.saved.get(path);
    const hasher = await createSHA256();
    if (saved) hasher.load(saved.state);
    else hasher.init();
    const file = { data: new Uint8Array(bytes), length: saved?.bytes.byteLength ?? 0, hasher };
    if (saved) file.data.set(saved.bytes);
    this.files.set(path, file);
    return new ResumableFileSink(
      file.length,
      (chunk, offset) => {
        file.data.set(chunk, offset);
        hasher.update(chunk);
        file.length = offset + chunk.byteLength;
      },
      async (length): Promise<WrittenFile> => {
        const finalState = saved?.state ?? hasher.save();
        const sha256 = saved?.sha256 ?? hasher.digest("hex");
        Object.assign(file, { sha256, length, finalState });
        return { name: path, bytes: length, sha256 };
      },
    );
  }

  /** What a checkpoint saves now. */
  checkpoint(): Map<string, Saved> {
    const saved = new Map<string, Saved>();
    for (const [path, file] of this.files) {
      saved.set(path, {
        bytes: file.data.slice(0, file.length),
        state: file.finalState ?? file.hasher.save(),
        ...(file.sha256 ? { sha256: file.sha256 } : {}),
      });
    }
    return saved;
  }
}

/** The snapshot with every byte read from its shards counted. */
function counted(snapshot: SnapshotReader): { snapshot: SnapshotReader; read: () => number } {
  let read = 0;
  const wrap = (source: ByteSource): ByteSource => ({
    key: source.key,
    size: (signal) => source.size(signal),
    getBytes: async (offset, length, signal) => {
      const bytes = await source.getBytes(offset, length, signal);
      read += bytes.byteLength;
      return bytes;
    },
  });
  return {
    snapshot: {
      ...snapshot,
      label: snapshot.label,
      readText: snapshot.readText,
      open: (name) => wrap(snapshot.open(name) as ByteSource),
    },
    read: () => read,
  };
}

/**
 * Wider than TINY_SIZES: every quantised weight's scales and zero points then go to external data (over the 1 KiB
 * kept inside the graph), as in GeoZero-8B, so a resume steps over whole tensors; only norm weights are read again.
 */
const SIZES = {
  ...TINY_SIZES,
  textHidden: 512,
  textLayers: 2,
  heads: 8,
  kvHeads: 4,
  headDim: 64,
  intermediate: 1024,
  mropeSection: [12, 10, 10],
  visionHidden: 384,
  visionHeads: 6,
  visionDepth: 3,
  visionIntermediate: 768,
  deepstack: [1],
};
const LIMITS = { sliceBytes: 16384, transposeInMemoryBytes: 100_000 };
const OPTIONS = { dtypes: ["q4" as const], chunkBytes: 4_000_000, limits: LIMITS };
const ORIGIN = { folder: "tiny" };

let root: string;
let snapshotDir: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "resume-"));
  snapshotDir = join(root, "snapshot");
  await writeSyntheticSnapshot(snapshotDir, SIZES, { seed: 9 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function convertInMemory(
  folder: MemoryFolder,
  options: { stopAfter?: number; resumeFrom?: PartialTensor | null },
) {
  const { snapshot, read } = counted(snapshotFolder(snapshotDir));
  const planned = await planSnapshot(snapshot, OPTIONS);
  const controller = new AbortController();
  let checkpoints = 0;
  let saved: { files: Map<string, Saved>; partial: PartialTensor | null; read: number } | null = null;
  const run = writeModelFolder(
    planned,
    {
      sink: folder,
      quantizer: inlineQuantizer(),
      origin: ORIGIN,
      resumeFrom: options.resumeFrom,
      onCheckpoint: (partial) => {
        checkpoints++;
        if (options.stopAfter === undefined || checkpoints !== options.stopAfter) return;
        const copy = partial && { ...partial, scales: partial.scales.slice(), zeroPoints: partial.zeroPoints.slice() };
        saved = { files: folder.checkpoint(), partial: copy, read: read() };
        controller.abort(new Error("stopped here"));
      },
    },
    controller.signal,
  );
  const written = await run.catch((error: Error) => {
    if (error.message !== "stopped here") throw error;
    return null;
  });
  return {
    written,
    read: read(),
    checkpoints,
    saved: saved as { files: Map<string, Saved>; partial: PartialTensor | null; read: number } | null,
  };
}

describe("a conversion that stops and resumes", () => {
  it("writes the same bytes as one that never stopped, reading again only what it had not written", async () => {
    const whole = await convertInMemory(new MemoryFolder(), {});
    const files = new Map((whole.written ?? []).map((f) => [f.name, f.sha256]));
    expect(files.size).toBeGreaterThan(8);
    for (const fraction of [0.2, 0.5, 0.8]) {
      const stopAfter = Math.round(whole.checkpoints * fraction);
      const first = await convertInMemory(new MemoryFolder(), { stopAfter });
      expect(first.written).toBeNull();
      const saved = first.saved;
      if (!saved) throw new Error("no checkpoint was saved");
      const second = await convertInMemory(new MemoryFolder(saved.files), { resumeFrom: saved.partial });
      expect(new Map((second.written ?? []).map((f) => [f.name, f.sha256]))).toEqual(files);
      // Read again: the shard headers, a slice read ahead of the checkpoint, and the tiny norm weights whose
      // initializers live inside the graphs rather than in external data.
      const readAgain = saved.read + second.read - whole.read;
      expect(readAgain).toBeLessThan(whole.read * 0.01);
    }
  });
});
