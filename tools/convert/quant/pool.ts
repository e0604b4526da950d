import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ByteSource } from "../../../src/io/source.ts";
import { FileSource } from "../../io/file-source.ts";
import type { SafetensorsDtype } from "../safetensors/read.ts";
import { NonFiniteBlockError, type Q4Matrix } from "./q4.ts";
import { Q4Kernel, type SliceBytes } from "./q4-kernel.ts";
import { loadQ4Kernel } from "./q4-kernel-source.ts";
import type { QuantizeJob, QuantizeReply, QuantizeWorkerData, SpareBuffers } from "./q4-worker.ts";

/** Rows of a checkpoint tensor to quantise: where their bytes are and what they hold. */
export interface RowSlice {
  source: ByteSource;
  offset: number;
  byteLength: number;
  dtype: SafetensorsDtype;
  rows: number;
  columns: number;
}

/** What a quantiser needs: read raw checkpoint rows and quantise them to 4-bit blocks. */
export interface Quantizer {
  /** Reads and quantises the rows of `slice`; rejects with `NonFiniteBlockError` for NaN or infinite weights. */
  quantize(slice: RowSlice, blockSize: number): Promise<Q4Matrix>;
  /** Hands back a result whose bytes have been used, so its buffers can be filled again. */
  recycle(matrix: Q4Matrix): void;
  /** How many slices are worth keeping in flight. */
  readonly parallelism: number;
  close(): Promise<void>;
}

/** Quantises on the calling thread with the same kernel (tests, and where worker threads cannot start). */
export class InlineQuantizer implements Quantizer {
  readonly parallelism = 1;
  private kernel: Promise<Q4Kernel> | undefined;

  async quantize(slice: RowSlice, blockSize: number): Promise<Q4Matrix> {
    this.kernel ??= loadQ4Kernel().then((wasm) => Q4Kernel.create(wasm));
    const kernel = await this.kernel;
    const q = kernel.quantizeSlice(await sliceBytes(slice), slice.dtype, slice.rows, slice.columns, blockSize);
    return { ...q, data: q.data.slice(), scales: q.scales.slice(), zeroPoints: q.zeroPoints.slice() };
  }

  recycle(): void {}

  async close(): Promise<void> {}
}

type Pending = { resolve: (q: Q4Matrix) => void; reject: (error: Error) => void; slice: RowSlice; blockSize: number };

/**
 * Spreads slice quantisation over worker threads, one job per idle worker. Workers read file ranges themselves
 * (straight into the kernel's memory) and their result buffers travel back to them for reuse.
 */
export class WorkerQuantizer implements Quantizer {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly load = new Map<Worker, number>();
  private readonly spare: Required<SpareBuffers>[] = [];

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      this.load.set(worker, 0);
      worker.on("message", (reply: QuantizeReply) => this.settle(worker, reply));
      worker.on("error", (error) => this.failAll(error));
    }
  }

  get parallelism(): number {
    return this.workers.length * 2;
  }

  /**
   * Starts `count` workers (the worker module bundled by esbuild, so it loads in milliseconds) and waits until each
   * has its kernel; resolves undefined (callers fall back to `InlineQuantizer`) when workers cannot start.
   */
  static async start(count: number, timeoutMs = 20_000): Promise<WorkerQuantizer | undefined> {
    if (count < 1) return undefined;
    const workers: Worker[] = [];
    try {
      const [code, wasm] = await Promise.all([workerCode(), loadQ4Kernel()]);
      const workerData: QuantizeWorkerData = { wasm };
      for (let i = 0; i < count; i++) workers.push(new Worker(code, { eval: true, workerData }));
      await Promise.all(workers.map((worker) => waitUntilReady(worker, timeoutMs)));
      return new WorkerQuantizer(workers);
    } catch {
      await Promise.all(workers.map((worker) => worker.terminate()));
      return undefined;
    }
  }

  async quantize(slice: RowSlice, blockSize: number): Promise<Q4Matrix> {
    const bytes = await sliceBytes(slice);
    const id = this.nextId++;
    const worker = [...this.load.entries()].sort((a, b) => a[1] - b[1])[0][0];
    this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
    const spare: SpareBuffers = this.spare.pop() ?? {};
    const job: QuantizeJob = {
      id,
      bytes,
      dtype: slice.dtype,
      rows: slice.rows,
      columns: slice.columns,
      blockSize,
      spare,
    };
    const transfer = [...Object.values(spare), ...("raw" in bytes ? [bytes.raw.buffer as ArrayBuffer] : [])];
    return new Promise<Q4Matrix>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slice, blockSize });
      worker.postMessage(job, transfer);
    });
  }

  recycle(matrix: Q4Matrix): void {
    if (this.spare.length >= this.parallelism) return;
    this.spare.push({
      data: matrix.data.buffer as ArrayBuffer,
      scales: matrix.scales.buffer as ArrayBuffer,
      zeroPoints: matrix.zeroPoints.buffer as ArrayBuffer,
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error("Quantizer closed while slices were in flight."));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private settle(worker: Worker, reply: QuantizeReply) {
    this.load.set(worker, (this.load.get(worker) ?? 1) - 1);
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ("error" in reply) {
      pending.reject(reply.row === undefined ? new Error(reply.error) : new NonFiniteBlockError(reply.row));
      return;
    }
    const { rows, columns } = pending.slice;
    const { blockSize } = pending;
    const { data, scales, zeroPoints } = reply;
    pending.resolve({
      data,
      scales,
      zeroPoints,
      rows,
      columns,
      blockSize,
      blocksPerRow: Math.ceil(columns / blockSize),
    });
  }

  private failAll(error: Error) {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** A file range is left for the kernel's thread to read into its own memory; other sources are read here. */
async function sliceBytes(slice: RowSlice): Promise<SliceBytes> {
  if (slice.source instanceof FileSource) {
    return { file: { path: slice.source.key, offset: slice.offset, byteLength: slice.byteLength } };
  }
  return { raw: await slice.source.getBytes(slice.offset, slice.byteLength) };
}

let bundled: Promise<string> | undefined;

/** q4-worker.ts and what it imports as one CommonJS script (esbuild, once per process; tens of milliseconds). */
function workerCode(): Promise<string> {
  bundled ??= import("esbuild").then(async ({ build }) => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL("./q4-worker.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      write: false,
      logLevel: "silent",
    });
    return result.outputFiles[0].text;
  });
  return bundled;
}

function waitUntilReady(worker: Worker, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("quantize worker did not start")), timeoutMs);
    worker.once("message", (message) => {
      clearTimeout(timer);
      if (message === "ready") resolve();
      else reject(new Error(`quantize worker said ${String(message)} before ready`));
    });
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`quantize worker exited with ${code}`));
    });
  });
}
