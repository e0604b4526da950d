import { type MessageSpec, WorkerClient } from "../io/worker-rpc";
import { planCrop } from "./crop-plan";
import { stitchCrop } from "./stitch";
import { createTileReader } from "./tiles/readers";
import type { BBox, CropProgress, CroppedImage, TileSourceSpec } from "./types";

/** The crop worker's messages. */
export type CropMessages = {
  crop: MessageSpec<{ source: TileSourceSpec; bbox: BBox; zoom: number }, CroppedImage, CropProgress>;
};

/** Crops in the current thread: fetch, stitch, crop and encode to PNG. */
export async function cropHere(
  source: TileSourceSpec,
  bbox: BBox,
  zoom: number,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  const planned = planCrop(bbox, zoom, undefined, source.tileSize);
  if (!planned.valid) throw new RangeError(planned.reason);
  const canvas = await stitchCrop(createTileReader(source), planned.plan, source.name, onProgress, signal);
  onProgress({ status: "encoding" });
  const png = await canvas.convertToBlob({ type: "image/png" });
  signal?.throwIfAborted();
  onProgress({ status: "done" });
  return {
    width: canvas.width,
    height: canvas.height,
    png,
    georef: planned.plan.georef,
    zoom,
    sourceId: source.id,
    bbox,
  };
}

let client: WorkerClient<CropMessages> | null | undefined;

function cropWorker(): WorkerClient<CropMessages> | null {
  if (client !== undefined) return client;
  const canRunInWorker = typeof Worker !== "undefined" && typeof OffscreenCanvas !== "undefined";
  client = canRunInWorker
    ? new WorkerClient<CropMessages>(new Worker(new URL("./crop-worker.ts", import.meta.url), { type: "module" }))
    : null;
  return client;
}

/**
 * Crops a selection from a tile source into a georeferenced PNG, in a Web Worker where the browser has
 * OffscreenCanvas, else on the main thread.
 */
export function cropInWorker(
  source: TileSourceSpec,
  bbox: BBox,
  zoom: number,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  const worker = cropWorker();
  if (!worker) return cropHere(source, bbox, zoom, onProgress, signal);
  return worker.call("crop", { source, bbox, zoom }, { onEvent: onProgress, signal });
}
