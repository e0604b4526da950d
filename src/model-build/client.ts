import { WorkerClient } from "../io/worker-rpc";
import type { BuildMessages } from "./messages";

let client: WorkerClient<BuildMessages> | null = null;

/** The build worker, started on first use (building runs beside the model worker, never in its queue). */
export function buildWorker(): WorkerClient<BuildMessages> {
  client ??= new WorkerClient<BuildMessages>(new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }));
  return client;
}
