import { Transferring, WorkerClient } from "../io/worker-rpc";
import { imageryHandlers } from "./imagery-handlers";
import type { ImageryMessages } from "./imagery-messages";
import { noteRasterBytesRead } from "./raster/bytes-read";
import type { BBox, CropProgress, CroppedImage, TileSourceSpec } from "./types";

let client: WorkerClient<ImageryMessages> | null | undefined;

function imageryWorker(): WorkerClient<ImageryMessages> | null {
  if (client !== undefined) return client;
  const canRunInWorker = typeof Worker !== "undefined" && typeof OffscreenCanvas !== "undefined";
  client = canRunInWorker
    ? new WorkerClient<ImageryMessages>(new Worker(new URL("./crop-worker.ts", import.meta.url), { type: "module" }))
    : null;
  return client;
}

/** Calls the imagery worker, or runs the same handler in the page where the browser has no OffscreenCanvas. */
export async function callImagery<K extends keyof ImageryMessages & string>(
  type: K,
  request: ImageryMessages[K]["request"],
  options: { onEvent?: (event: ImageryMessages[K]["event"]) => void; signal?: AbortSignal } = {},
): Promise<ImageryMessages[K]["response"]> {
  const worker = imageryWorker();
  if (worker) return worker.call(type, request, options);
  const handler = imageryHandlers[type] as unknown as (
    request: ImageryMessages[K]["request"],
    context: { emit(event: ImageryMessages[K]["event"]): void; signal: AbortSignal },
  ) => Promise<ImageryMessages[K]["response"] | Transferring<ImageryMessages[K]["response"]>>;
  const result = await handler(request, {
    emit: (event) => options.onEvent?.(event),
    signal: options.signal ?? new AbortController().signal,
  });
  return result instanceof Transferring ? result.response : result;
}

/**
 * Crops a selection from a source into a georeferenced PNG, in the imagery worker where the browser has
 * OffscreenCanvas, else on the main thread.
 */
export function cropInWorker(
  source: TileSourceSpec,
  bbox: BBox,
  zoom: number,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  const onEvent = (progress: CropProgress) => {
    if (progress.status === "reading") noteRasterBytesRead(source.id, progress.bytesRead);
    onProgress(progress);
  };
  return callImagery("crop", { source, bbox, zoom }, { onEvent, signal });
}
