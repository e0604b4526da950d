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
    const reference = (await tiny.model.generate({ ...inputs, max_new_tokens: 12, do_sample: false })) as Tensor;
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
    // The whole output, eos included where transformers.js stopped there: a shorter or longer run fails.
    expect(out.tokenIds).toEqual(expected);
    expect(out.tokenIds.length).toBeGreaterThan(1);
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

  it("stops within one step when the abort arrives as an event (a worker's message), not only from a callback", async () => {
    const controller = new AbortController();
    const channel = new MessageChannel();
    channel.port2.onmessage = () => controller.abort();
    const noEos = new Generator(tiny.model, tokenizer() as never, { eosTokenIds: [] });
    let abortSentAt = 0;
    const out = await noEos.generate(
      prompt,
      { kind: "greedy", maxNewTokens: 200 },
      {
        signal: controller.signal,
        callbacks: {
          onToken: (_, n) => {
            if (n !== 2) return;
            abortSentAt = n;
            channel.port1.postMessage("stop");
          },
        },
      },
    );
    channel.port1.close();
    noEos.dispose();
    expect(abortSentAt).toBe(2);
    expect(out.stopped).toBe(true);
    expect(out.tokenIds.length).toBe(2);
  });

  it("an abort before the vision encoder or the prefill rejects with the signal's reason and runs no model", async () => {
    const controller = new AbortController();
    controller.abort(new DOMException("Stopped", "AbortError"));
    const fresh = new Generator(tiny.model, tokenizer() as never);
    const encode = tiny.model.encode_image.bind(tiny.model);
    let encoded = 0;
    tiny.model.encode_image = (inputs) => {
      encoded++;
      return encode(inputs);
    };
    try {
      const run = fresh.generate(prompt, { kind: "greedy", maxNewTokens: 5 }, { signal: controller.signal });
      await expect(run).rejects.toMatchObject({ name: "AbortError" });
    } finally {
      tiny.model.encode_image = encode;
      fresh.dispose();
    }
    expect(encoded).toBe(0);
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

  it("a prefill in chunks of positions gives the logits of one prefill, with and without a reused prefix", async () => {
    const image = tiny.model.config as unknown as { image_token_id: number };
    const imageAt = prompt.inputIds.indexOf(image.image_token_id);
    // Chunks of 7 cut through the image's rows and the text around them.
    expect(prompt.inputIds.length).toBeGreaterThan(3 * 7);
    expect(imageAt % 7).not.toBe(0);
    const whole = new Generator(tiny.model, tokenizer() as never, { prefillChunk: 1 << 20 });
    const chunked = new Generator(tiny.model, tokenizer() as never, { prefillChunk: 7 });
    const followUp = await promptFromInstruction(tiny.processor, testImage(), "Is there a road in the south?", true);
    try {
      const reused: number[] = [];
      for (const next of [prompt, followUp]) {
        const a = await whole.prefill(next);
        const b = await chunked.prefill(next);
        expect(b.prefill.reusedPrefixTokens).toBe(a.prefill.reusedPrefixTokens);
        expect(b.logits.length).toBe(a.logits.length);
        expect(maxAbsDifference(a.logits, b.logits)).toBeLessThan(1e-4);
        reused.push(b.prefill.reusedPrefixTokens);
      }
      expect(reused[0]).toBe(0);
      expect(followUp.inputIds.length - reused[1]).toBeGreaterThan(7);
    } finally {
      whole.dispose();
      chunked.dispose();
    }
  });

  it("Stop between two prefill chunks ends the prefill there, and the next prompt starts from an empty cache", async () => {
    const session = (tiny.model.sessions as Record<string, { run: (feeds: unknown) => Promise<unknown> }>)
      .decoder_model_merged;
    const run = session.run.bind(session);
    const controller = new AbortController();
    let runs = 0;
    session.run = (feeds) => {
      runs++;
      controller.abort(new DOMException("Stopped", "AbortError"));
      return run(feeds);
    };
    const chunked = new Generator(tiny.model, tokenizer() as never, { prefillChunk: 7 });
    try {
      const stopped = chunked.generate(prompt, { kind: "greedy", maxNewTokens: 5 }, { signal: controller.signal });
      await expect(stopped).rejects.toMatchObject({ name: "AbortError" });
      expect(runs).toBe(1);
    } finally {
      session.run = run;
    }
    const after = await chunked.generate(prompt, { kind: "greedy", maxNewTokens: 3 });
    chunked.dispose();
    expect(after.prefill.reusedPrefixTokens).toBe(0);
    const reference = new Generator(tiny.model, tokenizer() as never);
    expect(after.tokenIds).toEqual((await reference.generate(prompt, { kind: "greedy", maxNewTokens: 3 })).tokenIds);
    reference.dispose();
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

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
