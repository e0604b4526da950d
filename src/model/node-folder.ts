/**
 * Node only (onnxruntime-node, sharp): the one way the command-line tools (`npm run generate`, `npm run eval`) and their
 * tests load a converted model folder and read an image file, as the app does in the browser: the project's model
 * class, the folder's processor, and the image resized to the model's input size before the processor sees it.
 */
// First, on its own: float16 tensors as onnxruntime-node takes them.
import { CallQueue } from "../io/call-queue";
import { assertQwen3VlConfig } from "./model-errors";
import "./node-runtime";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { AutoProcessor, env, type Processor, RawImage } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { DEFAULT_PIXEL_BUDGET, modelInputFor } from "../tasks/model-input-size";
import { CACHE_REORDER_SESSION } from "./generation/decoder";
import { CACHE_REORDER_GRAPH, graphPath, type ModelManifest, uniformDtypes } from "./manifest";
import { GeoZeroQwen3VL } from "./qwen3-vl/model";

export interface FolderLoadOptions {
  /** One of the folder's dtypes (manifest `dtypes`); q4 when it has one, else its first. */
  dtype?: string;
  /** onnxruntime-node execution provider: cpu, cuda where the machine has CUDA, webgpu (Dawn, as in Chrome) */
  device?: "cpu" | "cuda" | "webgpu";
}

export interface LoadedFolder {
  /** the folder's name, e.g. geozero-tiny */
  id: string;
  dtype: string;
  device: "cpu" | "cuda" | "webgpu";
  model: GeoZeroQwen3VL;
  processor: Processor;
  /** the model's one queue: its sessions and the Generator's KV cache serve one call at a time */
  queue: CallQueue;
}

function readManifest(folder: string): ModelManifest {
  try {
    return JSON.parse(readFileSync(resolve(folder, "manifest.json"), "utf8")) as ModelManifest;
  } catch (error) {
    throw new Error(
      `${folder}/manifest.json cannot be read (${(error as Error).message}); give a folder made by npm run convert, e.g. model-cache/geozero-tiny.`,
    );
  }
}

/** The dtype a load uses: the one asked for if the folder has it, else q4 when it has one, else its first. */
export function chooseDtype(manifest: ModelManifest, folder: string, dtype?: string): string {
  const chosen = dtype ?? (manifest.dtypes.includes("q4") ? "q4" : manifest.dtypes[0]);
  if (!manifest.dtypes.includes(chosen))
    throw new Error(`${folder} has no ${chosen} weights; it has ${manifest.dtypes.join(", ")}.`);
  return chosen;
}

/** Loads a converted Qwen3-VL folder (e.g. model-cache/geozero-tiny) from disk, never from the network. */
export async function loadModelFolder(
  modelFolder: string,
  { dtype, device = "cpu" }: FolderLoadOptions = {},
): Promise<LoadedFolder> {
  const folder = resolve(modelFolder);
  const manifest = readManifest(folder);
  assertQwen3VlConfig({ model_type: manifest.source.modelType }, `${folder}/manifest.json`);
  assertQwen3VlConfig(JSON.parse(readFileSync(resolve(folder, "config.json"), "utf8")), `${folder}/config.json`);
  const chosen = chooseDtype(manifest, folder, dtype);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(folder)}/`;
  const id = basename(folder);
  const processor = await AutoProcessor.from_pretrained(id);
  // On WebGPU transformers.js keeps the decoder's cache on the device. onnxruntime-node refuses output names a session
  // lacks, and transformers.js gives every session the same options, so token embeddings come back to the CPU here.
  const model = await GeoZeroQwen3VL.from_pretrained(id, { dtype: uniformDtypes(chosen) as never, device });
  const reorder = resolve(folder, graphPath(CACHE_REORDER_GRAPH, chosen));
  if (existsSync(reorder)) {
    const session = await ort.InferenceSession.create(reorder, {
      executionProviders: [device],
      preferredOutputLocation: device === "webgpu" ? "gpu-buffer" : "cpu",
    });
    (model.sessions as Record<string, unknown>)[CACHE_REORDER_SESSION] = session;
  }
  return { id, dtype: chosen, device, model, processor, queue: new CallQueue() };
}

/**
 * Reads an image (a file path, or encoded bytes such as a sweep chip's PNG), resized (if needed) to the model's input
 * size as the app does before the processor.
 */
export async function readModelImage(path: string | Buffer): Promise<{ image: RawImage; resized: boolean }> {
  const meta = await sharp(path).metadata();
  if (!meta.width || !meta.height)
    throw new Error(`${typeof path === "string" ? path : "The image"}: not an image sharp can read.`);
  const target = modelInputFor(meta.width, meta.height, DEFAULT_PIXEL_BUDGET);
  const { data, info } = await sharp(path)
    .removeAlpha()
    .toColourspace("srgb")
    .resize(target.width, target.height, { fit: "fill", kernel: "lanczos3" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: new RawImage(new Uint8ClampedArray(data), info.width, info.height, 3), resized: !target.exact };
}
