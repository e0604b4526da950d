import { WorkerClient } from "../io/worker-rpc";
import type { ModelEntry } from "./manifest";
import type { ModelMessages } from "./messages";
import { ModelWorkerRestartedError, type WorkerRestartReason } from "./model-errors";

let client: WorkerClient<ModelMessages> | null = null;
let worker: Worker | null = null;

/** The model worker, started on first use. */
export function modelWorker(): WorkerClient<ModelMessages> {
  if (!client) {
    worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    client = new WorkerClient<ModelMessages>(worker);
  }
  return client;
}

/**
 * Ends the model worker; the next call starts a fresh one. After a lost WebGPU device this is the only way to get a
 * new device: ONNX Runtime keeps the lost one for the life of the worker. Calls still waiting for an answer are
 * rejected with a {@link ModelWorkerRestartedError}.
 */
export function restartModelWorker(reason: WorkerRestartReason): void {
  client?.rejectPending(new ModelWorkerRestartedError(reason));
  worker?.terminate();
  worker = null;
  client = null;
}

/**
 * Asks the browser not to evict the model cache under storage pressure (gigabytes of weights are slow to fetch
 * again). Only pages may ask (workers have no `persist`); best effort: a refusal leaves the cache evictable.
 */
export async function askForPersistentStorage(): Promise<boolean> {
  const storage = globalThis.navigator?.storage;
  if (!storage?.persist) return false;
  if (await storage.persisted()) return true;
  return storage.persist().catch(() => false);
}

/** Where converted models are served: `/model-cache/` beside the app. */
export const MODEL_ROOT = `${import.meta.env?.BASE_URL ?? "/"}model-cache/`;

/** The models `model-cache/` holds, from its index. */
export async function listModels(signal?: AbortSignal): Promise<ModelEntry[]> {
  const response = await fetch(`${MODEL_ROOT}index.json`, { signal, cache: "no-cache" });
  if (!response.ok)
    throw new Error(`${MODEL_ROOT}index.json: HTTP ${response.status}; the host serves no model index.`);
  return (await response.json()) as ModelEntry[];
}
