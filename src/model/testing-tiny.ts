/**
 * Node test helpers: the tiny demo model in model-cache/geozero-tiny on onnxruntime-node, and a deterministic
 * image at a model input size.
 */
import { resolve } from "node:path";
import { AutoProcessor, env, type Processor, RawImage } from "@huggingface/transformers";
import { GeoZeroQwen3VL } from "./qwen3-vl/model";

export const TINY_MODEL = "geozero-tiny";

export function readFromModelCache(): void {
  env.allowRemoteModels = false;
  env.localModelPath = resolve("model-cache");
}

export async function loadTiny(): Promise<{ model: GeoZeroQwen3VL; processor: Processor }> {
  readFromModelCache();
  const processor = await AutoProcessor.from_pretrained(TINY_MODEL);
  const model = await GeoZeroQwen3VL.from_pretrained(TINY_MODEL, { dtype: "fp32" });
  return { model, processor };
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
