import type { Tensor } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMessages } from "../../tasks/prompts";
import { loadTiny, testImage } from "../testing-tiny";
import { Generator } from "./generator";
import { type PreparedPrompt, promptFromIds, promptFromInstruction } from "./inputs";

let tiny: Awaited<ReturnType<typeof loadTiny>>;
let generator: Generator;
let prompt: PreparedPrompt;
const tokenizer = () => tiny.processor.tokenizer as NonNullable<typeof tiny.processor.tokenizer>;

beforeAll(async () => {
  tiny = await loadTiny();
  generator = new Generator(tiny.model, tokenizer() as never);
  prompt = await promptFromInstruction(tiny.processor, testImage(), "What land cover is this?", true);
});
afterAll(async () => {
  generator.dispose();
  await tiny.model.dispose();
});

describe("Generator on the tiny model", () => {
  it("greedy equals transformers.js generate token for token and streams the same text", async () => {
    const text = tiny.processor.apply_chat_template(buildMessages("What land cover is this?", true), {
      add_generation_prompt: true,
    });
    const inputs = await tiny.processor(text, testImage());
    const reference = (await tiny.model.generate({
      ...inputs,
      max_new_tokens: 12,
      min_new_tokens: 12,
      do_sample: false,
    })) as Tensor;
    const expected = (reference.tolist() as bigint[][])[0].slice(inputs.input_ids.dims[1]).map(Number);

    generator.forget();
    const pieces: string[] = [];
    const counted: number[] = [];
    const out = await generator.generate(
      prompt,
      { kind: "greedy", maxNewTokens: 12 },
      { callbacks: { onText: (p) => pieces.push(p), onToken: (_, n) => counted.push(n) } },
    );
    expect(prompt.inputIds).toEqual(Array.from(inputs.input_ids.data as BigInt64Array, Number));
    expect(out.tokenIds).toEqual(expected.slice(0, out.tokenIds.length));
    expect(out.tokenIds.length).toBeGreaterThan(0);
    expect(pieces.join("")).toBe(out.text);
    expect(out.text).toBe(tokenizer().decode(out.tokenIds, { skip_special_tokens: true }));
    expect(counted).toEqual(out.tokenIds.map((_, i) => i + 1));
    expect(out.prefill).toMatchObject({
      promptTokens: prompt.inputIds.length,
      imageFeaturesReused: false,
      reusedPrefixTokens: 0,
    });
  });

  it("sampling is reproducible from its seed", async () => {
    const settings = { kind: "sample", temperature: 1.5, topP: 0.95, topK: 50, maxNewTokens: 10 } as const;
    const a = await generator.generate(prompt, { ...settings, seed: 7 });
    const b = await generator.generate(prompt, { ...settings, seed: 7 });
    const c = await generator.generate(prompt, { ...settings, seed: 8 });
    expect(a.seed).toBe(7);
    expect(b.tokenIds).toEqual(a.tokenIds);
    expect(c.tokenIds).not.toEqual(a.tokenIds);
  });

  it("stops when the signal aborts and keeps what it generated", async () => {
    const controller = new AbortController();
    const out = await generator.generate(
      prompt,
      { kind: "greedy", maxNewTokens: 50 },
      { signal: controller.signal, callbacks: { onToken: (_, n) => n === 3 && controller.abort() } },
    );
    expect(out.stopped).toBe(true);
    expect(out.tokenIds.length).toBe(3);
  });

  it("a follow-up on the same image reuses its vision features and the shared prompt prefix, with the same answer", async () => {
    const first = await promptFromInstruction(tiny.processor, testImage(), "Count the fields.", true);
    const second = await promptFromInstruction(tiny.processor, testImage(), "Is there a river?", true);
    const fresh = new Generator(tiny.model, tokenizer() as never, { reusePrefix: false });
    const expected = await fresh.generate(second, { kind: "greedy", maxNewTokens: 8 });
    fresh.dispose();

    generator.forget();
    await generator.generate(first, { kind: "greedy", maxNewTokens: 8 });
    const followUp = await generator.generate(second, { kind: "greedy", maxNewTokens: 8 });
    expect(followUp.prefill.imageFeaturesReused).toBe(true);
    expect(followUp.prefill.imageEncodeMs).toBe(0);
    const imageEnd = second.inputIds.lastIndexOf(
      (tiny.model.config as unknown as { image_token_id: number }).image_token_id,
    );
    expect(followUp.prefill.reusedPrefixTokens).toBeGreaterThan(imageEnd);
    expect(followUp.tokenIds).toEqual(expected.tokenIds);

    const otherImage = await promptFromInstruction(tiny.processor, testImage(96, 64, 2), "Is there a river?", true);
    const other = await generator.generate(otherImage, { kind: "greedy", maxNewTokens: 2 });
    expect(other.prefill).toMatchObject({ imageFeaturesReused: false, reusedPrefixTokens: 0 });
  });

  it("--ids prompts expand the single image pad to the image's tokens", async () => {
    const vs = tokenizer().convert_tokens_to_ids("<|vision_start|>") as number;
    const pad = tokenizer().convert_tokens_to_ids("<|image_pad|>") as number;
    const collapsed = prompt.inputIds.filter((id, i) => id !== pad || prompt.inputIds[i - 1] === vs);
    const fromIds = await promptFromIds(tiny.processor, collapsed, testImage());
    expect(fromIds.inputIds).toEqual(prompt.inputIds);
    expect(fromIds.image?.key).toBe(prompt.image?.key);
    await expect(promptFromIds(tiny.processor, [1, 2, 3], testImage())).rejects.toThrow(/exactly one <\|image_pad\|>/);
  });
});
