/// <reference lib="webworker" />
import { serveWorker } from "../io/worker-rpc";
import { type ImageryMessages, imageryHandlers } from "./crop";

serveWorker<ImageryMessages>(self as unknown as DedicatedWorkerGlobalScope, imageryHandlers);
