/**
 * Node test helpers: the tiny demo model in model-cache/geozero-tiny on onnxruntime-node, and a deterministic
 * image at a model input size.
 */
import { RawImage } from "@huggingface/transformers";
import { type LoadedFolder, loadModelFolder } from "./node-folder";

/** The folder's name: with model-cache/ as the local model path (set by the load), a model id transformers.js finds. */
export const TINY_MODEL = "geozero-tiny";

/** The tiny model at fp32 (every session), loaded as the Node tools load a folder. */
export function loadTiny(): Promise<LoadedFolder> {
  return loadModelFolder(`model-cache/${TINY_MODEL}`, { dtype: "fp32" });
}

/** A smooth, seeded RGB test image of `width × height` (multiples of 32: no resize in the processor). */
export function testImage(width = 96, height = 64, seed = 1): RawImage {
  const pixels = new Uint8ClampedArray(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        pixels[(y * width + x) * 3 + c] = (x * (3 + c) + y * (5 + seed) + c * 40 * seed) % 256;
  return new RawImage(pixels, width, height, 3);
}
