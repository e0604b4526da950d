import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AutoProcessor, env, Qwen3VLForConditionalGeneration, RawImage, type Tensor } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertSnapshot } from "./convert.ts";
import { TINY_SIZES, writeSyntheticSnapshot } from "./testing/synthetic.ts";

// The converted folder must load as is in transformers.js 4.3.1 (its own processor, model class and generate):
// packed image features as wide as inputs_embeds, float32 I/O, the cache shape, num_logits_to_keep.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tjs-"));
  await writeSyntheticSnapshot(
    join(root, "snapshot"),
    { ...TINY_SIZES, vocab: 151936 },
    { seed: 5, realTokenizer: true },
  );
  await convertSnapshot({
    snapshotDir: join(root, "snapshot"),
    outDir: join(root, "models", "tiny"),
    dtypes: ["fp32", "q4f16"],
  });
  env.allowRemoteModels = false;
  env.localModelPath = join(root, "models");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("transformers.js 4.3.1 on the converted folder", () => {
  it.each(["fp32", "q4f16"] as const)("processes an image and generates with dtype %s", async (dtype) => {
    const processor = await AutoProcessor.from_pretrained("tiny");
    const pixels = new Uint8ClampedArray(64 * 96 * 3).map((_, i) => (i * 37) % 256);
    const image = new RawImage(pixels, 96, 64, 3);
    const messages = [{ role: "user", content: [{ type: "image" }, { type: "text", text: "Describe." }] }];
    const text = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const inputs = await processor(text, image);
    expect(inputs.image_grid_thw.tolist()).toEqual([[1n, 4n, 6n]]);
    const model = await Qwen3VLForConditionalGeneration.from_pretrained("tiny", { dtype });
    const output = await model.generate({ ...inputs, max_new_tokens: 4, do_sample: false });
    const [sequence] = (output as Tensor).tolist() as bigint[][];
    expect(sequence.length).toBe(inputs.input_ids.dims[1] + 4);
    await model.dispose();
  });
});
