/// <reference lib="webworker" />
import { serveWorker, Transferring } from "../io/worker-rpc";
import { type CropMessages, cropHere } from "./crop";

serveWorker<CropMessages>(self as unknown as DedicatedWorkerGlobalScope, {
  crop: async ({ source, bbox, zoom }, { emit, signal }) => {
    const image = await cropHere(source, bbox, zoom, emit, signal);
    return new Transferring(image, []);
  },
});
