import { type KernelThread, type QuantizeReply, ThreadPoolQuantizer } from "../convert/quant/pool.ts";

/** Slices a build keeps in flight: enough to hide the latency of range requests to a hub across the internet. */
const SLICES_IN_FLIGHT = 6;

/**
 * Starts the build's kernel threads (Web Workers running the converter's WebAssembly kernel): one per core but one,
 * which the build worker keeps for reading, hashing and writing.
 */
export async function startKernelPool(): Promise<ThreadPoolQuantizer> {
  const count = Math.max(1, Math.min(8, (navigator.hardwareConcurrency || 2) - 1));
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL("./kernel-worker.ts", import.meta.url), { type: "module" }),
  );
  try {
    await Promise.all(workers.map(ready));
  } catch (error) {
    for (const worker of workers) worker.terminate();
    throw error;
  }
  return new ThreadPoolQuantizer(workers.map(webThread), undefined, Math.max(SLICES_IN_FLIGHT, count * 2));
}

function webThread(worker: Worker): KernelThread {
  return {
    post: (job, transfer) => worker.postMessage(job, transfer),
    listen: (onReply, onError) => {
      worker.onmessage = (event: MessageEvent<QuantizeReply>) => onReply(event.data);
      worker.onerror = (event) => onError(new Error(`A 4-bit kernel thread failed: ${event.message}`));
    },
    terminate: async () => worker.terminate(),
  };
}

function ready(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      if (event.data === "ready") resolve();
      else reject(new Error(`A 4-bit kernel thread did not start: ${String(event.data)}`));
    };
    worker.onerror = (event) => reject(new Error(`A 4-bit kernel thread did not start: ${event.message}`));
  });
}
