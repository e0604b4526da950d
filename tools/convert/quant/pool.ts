import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { SafetensorsDtype } from "../safetensors/read.ts";
import { type Q4Matrix, quantizeQ4Raw } from "./q4.ts";
import type { QuantizeJob } from "./q4-worker.ts";

type Pending = {
  resolve: (q: Q4Matrix) => void;
  reject: (error: Error) => void;
  shape: Omit<QuantizeJob, "id" | "raw" | "dtype">;
};

/** What a quantiser needs: widen raw checkpoint rows and quantise them to 4-bit blocks. */
export interface Quantizer {
  /** Widens `raw` rows of `dtype` and quantises them; rows × columns values. */
  quantize(
    raw: Uint8Array,
    dtype: SafetensorsDtype,
    rows: number,
    columns: number,
    blockSize: number,
  ): Promise<Q4Matrix>;
  /** How many slices are worth keeping in flight. */
  readonly parallelism: number;
  close(): Promise<void>;
}

/** Quantises on the calling thread (the fallback where worker threads cannot load TypeScript, e.g. under vitest). */
export const inlineQuantizer: Quantizer = {
  parallelism: 1,
  async quantize(raw, dtype, rows, columns, blockSize) {
    return quantizeQ4Raw(raw, dtype, rows, columns, blockSize);
  },
  async close() {},
};

/** Spreads slice quantisation over worker threads, one job per idle worker, results in submission order per call. */
export class WorkerQuantizer implements Quantizer {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly load = new Map<Worker, number>();

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      this.load.set(worker, 0);
      worker.on("message", (message: { id: number; data: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array }) =>
        this.settle(worker, message),
      );
      worker.on("error", (error) => this.failAll(error));
    }
  }

  get parallelism(): number {
    return this.workers.length * 2;
  }

  /**
   * Starts `count` workers and waits until each has loaded; resolves undefined (callers fall back to
   * `inlineQuantizer`) when workers cannot start in this runtime.
   */
  static async start(count: number, timeoutMs = 20_000): Promise<WorkerQuantizer | undefined> {
    if (count < 1) return undefined;
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(new Worker(workerBootstrap(), { eval: true }));
      await Promise.all(workers.map((worker) => waitUntilReady(worker, timeoutMs)));
      return new WorkerQuantizer(workers);
    } catch {
      await Promise.all(workers.map((worker) => worker.terminate()));
      return undefined;
    }
  }

  quantize(
    raw: Uint8Array,
    dtype: SafetensorsDtype,
    rows: number,
    columns: number,
    blockSize: number,
  ): Promise<Q4Matrix> {
    const id = this.nextId++;
    const worker = [...this.load.entries()].sort((a, b) => a[1] - b[1])[0][0];
    this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
    return new Promise<Q4Matrix>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, shape: { rows, columns, blockSize } });
      const job: QuantizeJob = { id, raw, dtype, rows, columns, blockSize };
      worker.postMessage(job, [raw.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error("Quantizer closed while slices were in flight."));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private settle(
    worker: Worker,
    message: { id: number; data: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array },
  ) {
    this.load.set(worker, (this.load.get(worker) ?? 1) - 1);
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    const { rows, columns, blockSize } = pending.shape;
    pending.resolve({
      data: message.data,
      scales: message.scales,
      zeroPoints: message.zeroPoints,
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

/**
 * Worker source that registers tsx's TypeScript loader in the worker (Node 20 does not pass the main thread's
 * loader hooks on to workers) and then loads q4-worker.ts.
 */
function workerBootstrap(): string {
  const tsxApi = pathToFileURL(tsxEsmApiPath()).href;
  const worker = new URL("./q4-worker.ts", import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((api) => { (api.register ?? api.default.register)(); return import(${JSON.stringify(worker)}); });`;
}

/** The ESM entry of `tsx/esm/api` (require.resolve would give its CommonJS twin, which cannot register ESM hooks). */
function tsxEsmApiPath(): string {
  const packageJson = createRequire(import.meta.url).resolve("tsx/package.json");
  const { exports } = JSON.parse(readFileSync(packageJson, "utf8")) as {
    exports: Record<string, { import?: string | { default?: string } }>;
  };
  const entry = exports["./esm/api"]?.import;
  const relative = typeof entry === "string" ? entry : entry?.default;
  if (!relative) throw new Error("tsx does not export ./esm/api for import; quantising inline.");
  return join(dirname(packageJson), relative);
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
