import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type KernelThread, type SliceBytes, ThreadPoolQuantizer } from "../../../src/convert/quant/pool.ts";
import { InlineQuantizer, type RowSlice } from "../../../src/convert/quant/quantizer.ts";
import { FileSource } from "../../io/file-source.ts";
import { loadQ4Kernel } from "./q4-kernel-source.ts";
import type { QuantizeWorkerData } from "./q4-worker.ts";

/** The kernel on the calling thread, its binary read from disk (tests; where worker threads cannot start). */
export function inlineQuantizer(): InlineQuantizer {
  return new InlineQuantizer(loadQ4Kernel);
}

/**
 * Starts `count` worker threads running the kernel (q4-worker.ts bundled by esbuild, so it loads in milliseconds)
 * and waits until each has it; resolves undefined (callers fall back to the inline quantizer) when they cannot start.
 * The threads read file ranges themselves, straight into the kernel's memory.
 */
export async function startWorkerQuantizer(
  count: number,
  timeoutMs = 20_000,
): Promise<ThreadPoolQuantizer | undefined> {
  if (count < 1) return undefined;
  const workers: Worker[] = [];
  try {
    const [code, wasm] = await Promise.all([workerCode(), loadQ4Kernel()]);
    const workerData: QuantizeWorkerData = { wasm };
    for (let i = 0; i < count; i++) workers.push(new Worker(code, { eval: true, workerData }));
    await Promise.all(workers.map((worker) => waitUntilReady(worker, timeoutMs)));
    return new ThreadPoolQuantizer(workers.map(nodeThread), sliceBytes);
  } catch {
    await Promise.all(workers.map((worker) => worker.terminate()));
    return undefined;
  }
}

function nodeThread(worker: Worker): KernelThread {
  return {
    post: (job, transfer) => worker.postMessage(job, transfer),
    listen: (onReply, onError) => {
      worker.on("message", onReply);
      worker.on("error", onError);
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
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
