/// <reference lib="webworker" />
import { serveWorker } from "../io/worker-rpc";
import { imageryHandlers } from "./imagery-handlers";
import type { ImageryMessages } from "./imagery-messages";

serveWorker<ImageryMessages>(self as unknown as DedicatedWorkerGlobalScope, imageryHandlers);
