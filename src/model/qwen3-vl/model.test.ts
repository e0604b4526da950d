import { Qwen3VLForConditionalGeneration, type Tensor } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMessages } from "../../tasks/prompts";
import { Generator } from "../generation/generator";
import { promptFromText } from "../generation/inputs";
import { loadTiny, TINY_MODEL, testImage } from "../testing-tiny";
import { GeoZeroQwen3VL } from "./model";

type Loaded = Awaited<ReturnType<typeof loadTiny>>;
let tiny: Loaded;
let base: Awaited<ReturnType<typeof Qwen3VLForConditionalGeneration.from_pretrained>>;

/** Records the position_ids of every decoder run of `model`. */
function recordPositions(model: { sessions: Record<string, unknown> }): bigint[][] {
  const session = model.sessions.decoder_model_merged as {
    run: (feeds: Record<string, Tensor["ort_tensor"]>) => unknown;
  };
  const run = session.run.bind(session);
  const calls: bigint[][] = [];
  session.run = (feeds) => {
    calls.push(Array.from(feeds.position_ids.data as BigInt64Array));
    return run(feeds);
  };
  return calls;
}

beforeAll(async () => {
  tiny = await loadTiny();
  base = await Qwen3VLForConditionalGeneration.from_pretrained(TINY_MODEL, { dtype: "fp32" });
});
afterAll(async () => {
  await tiny.model.dispose();
  await base.dispose();
});

describe("GeoZeroQwen3VL", () => {
  it("loads through from_pretrained as the project's class with the registered sessions and the cache reorder", () => {
    expect(tiny.model).toBeInstanceOf(GeoZeroQwen3VL);
    expect(tiny.model).toBeInstanceOf(Qwen3VLForConditionalGeneration);
    expect(Object.keys(tiny.model.sessions).sort()).toEqual([
      "decoder_model_merged",
      "embed_tokens",
      "kv_cache_reorder",
      "vision_encoder",
    ]);
  });

  it("decodes a text-only prompt at the positions upstream uses (continuing at the prompt length)", async () => {
    const text = "<|im_start|>user\nDescribe a river delta.<|im_end|>\n<|im_start|>assistant\n";
    const encoded = (tiny.processor.tokenizer as NonNullable<typeof tiny.processor.tokenizer>)(text) as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    const length = encoded.input_ids.dims[1];
    // Upstream (HF get_rope_index without images): prefill 0…S−1, then S, S+1, … on all three rows.
    const upstreamDecode = [length, length + 1, length + 2];

    const fixed = recordPositions(tiny.model);
    await tiny.model.generate({ ...encoded, max_new_tokens: 4, min_new_tokens: 4, do_sample: false });
    expect(fixed[0]).toEqual([0, 1, 2].flatMap(() => Array.from({ length }, (_, i) => BigInt(i))));
    expect(fixed.slice(1).map((p) => p.map(Number))).toEqual(upstreamDecode.map((p) => [p, p, p]));

    // transformers.js 4.3.1's own class runs 2·S too far: the bug this class fixes.
    const buggy = recordPositions(base);
    await base.generate({ ...encoded, max_new_tokens: 2, min_new_tokens: 2, do_sample: false });
    expect(Number(buggy[1][0])).toBe(length + 2 * length);

    // The generation module uses the same positions.
    const generator = new Generator(tiny.model, tiny.processor.tokenizer as never);
    const viaModule = recordPositions(tiny.model);
    await generator.generate(promptFromText(tiny.processor, text), { kind: "greedy", maxNewTokens: 4 });
    expect(viaModule.slice(1).map((p) => p.map(Number))).toEqual(upstreamDecode.map((p) => [p, p, p]));
    generator.dispose();
  });

  it("leaves the positions of an image prompt as transformers.js computes them", async () => {
    const text = tiny.processor.apply_chat_template(buildMessages("What is here?", false), {
      add_generation_prompt: true,
    });
    const inputs = await tiny.processor(text, testImage());
    const fixed = recordPositions(tiny.model);
    await tiny.model.generate({ ...inputs, max_new_tokens: 3, min_new_tokens: 3, do_sample: false });
    const original = recordPositions(base);
    await base.generate({ ...inputs, max_new_tokens: 3, min_new_tokens: 3, do_sample: false });
    expect(fixed).toEqual(original);
    // Multimodal positions: the image compresses the sequence, so decoding continues at max + 1, not at S.
    const prefillMax = Math.max(...fixed[0].map(Number));
    expect(Number(fixed[1][0])).toBe(Number(prefillMax) + 1);
    expect(Number(prefillMax) + 1).toBeLessThan(inputs.input_ids.dims[1]);
  });
});
