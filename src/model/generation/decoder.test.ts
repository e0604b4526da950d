import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheReorderMissingError } from "../model-errors";
import { loadTiny, testImage } from "../testing-tiny";
import { CACHE_REORDER_SESSION, KvDecoder, type OrtSession, sessionOf } from "./decoder";
import { Generator } from "./generator";
import { type PreparedPrompt, promptFromInstruction } from "./inputs";
import { seededRandom } from "./sampling";

let tiny: Awaited<ReturnType<typeof loadTiny>>;
let prompt: PreparedPrompt;

beforeAll(async () => {
  tiny = await loadTiny();
  prompt = await promptFromInstruction(tiny.processor, testImage(), "Describe the scene.", false);
});
afterAll(async () => {
  await tiny.model.dispose();
});

/** Old row `rows[r]` of every head, cut to `length` positions, written out plainly: the expected reorder. */
function reorderByHand(data: Float32Array, dims: number[], rows: number[], length: number): Float32Array {
  const [, heads, oldLength, dim] = dims;
  const out: number[] = [];
  for (const row of rows)
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < length; t++)
        for (let d = 0; d < dim; d++) out.push(data[((row * heads + h) * oldLength + t) * dim + d]);
  return Float32Array.from(out);
}

describe("the kv_cache_reorder graph", () => {
  it("picks rows (repeated, reordered) and cuts positions exactly, for every layer's key and value", async () => {
    const reorder = sessionOf(tiny.model, CACHE_REORDER_SESSION) as OrtSession & ort.InferenceSession;
    const dims = [3, 2, 7, 32];
    const random = seededRandom(11);
    const feeds: Record<string, ort.Tensor> = {};
    const names = reorder.inputNames.filter((name) => name.startsWith("past_key_values."));
    expect(names.length).toBe(8);
    for (const name of names)
      feeds[name] = new ort.Tensor("float32", Float32Array.from({ length: 3 * 2 * 7 * 32 }, random), dims);
    for (const [rows, length] of [
      [[2, 0, 0, 1], 7],
      [[1], 4],
      [[0, 1, 2], 1],
    ] as const) {
      const out = await reorder.run({
        ...feeds,
        rows: new ort.Tensor("int64", BigInt64Array.from(rows, BigInt), [rows.length]),
        length: new ort.Tensor("int64", new BigInt64Array([BigInt(length)]), [1]),
      });
      for (const name of names) {
        const present = out[name.replace("past_key_values.", "present.")];
        expect(present.dims).toEqual([rows.length, 2, length, 32]);
        const expected = reorderByHand(feeds[name].data as Float32Array, dims, [...rows], length);
        expect(present.data as Float32Array).toEqual(expected);
      }
    }
  });

  it("a folder without it still answers greedily, reuses no prefix, and names the fix when beams need it", async () => {
    const decoder = new KvDecoder(
      sessionOf(tiny.model, "decoder_model_merged"),
      sessionOf(tiny.model, "embed_tokens"),
      undefined,
    );
    expect(decoder.canReorder).toBe(false);
    await decoder.run(await decoder.embed([[1, 2, 3]]), int64Positions(3));
    await decoder.step([4]);
    await expect(decoder.gather([0, 0])).rejects.toBeInstanceOf(CacheReorderMissingError);
    decoder.dispose();
  });
});

function int64Positions(n: number): ort.Tensor {
  return new ort.Tensor(
    "int64",
    BigInt64Array.from({ length: 3 * n }, (_, i) => BigInt(i % n)),
    [3, 1, n],
  );
}

describe("bytes crossing to JavaScript memory", () => {
  const vocab = 151936;

  it("are only the logits at each decoding step, greedy and 3-beam alike", async () => {
    const generator = new Generator(tiny.model, tiny.processor.tokenizer as never, { reusePrefix: false });
    const { logits } = await generator.prefill(prompt);
    expect(logits.length).toBe(vocab);
    const afterPrefill = generator.transfers.bytesToCpu;
    const greedy = await generator.generate(prompt, { kind: "greedy", maxNewTokens: 6 });
    expect(greedy.tokenIds.length).toBe(6);
    const perPrefill = afterPrefill;
    // One prefill, then 5 single-row steps: the prompt's embeddings and logits, then one row of logits a step.
    expect(generator.transfers.bytesToCpu - afterPrefill).toBe(perPrefill + 5 * vocab * 4);

    const beforeBeams = generator.transfers.bytesToCpu;
    const beams = await generator.generate(prompt, {
      kind: "beam",
      numBeams: 3,
      lengthPenalty: 1,
      earlyStopping: false,
      maxNewTokens: 5,
    });
    expect(beams.tokenIds.length).toBe(5);
    // Four 3-row steps: logits only, though every step gathers the cache by row.
    expect(generator.transfers.bytesToCpu - beforeBeams).toBe(perPrefill + 4 * 3 * vocab * 4);
    generator.dispose();
  });

  it("of a follow-up that reuses the cached prefix are its new rows only: the cut cache stays put", async () => {
    const generator = new Generator(tiny.model, tiny.processor.tokenizer as never);
    await generator.generate(prompt, { kind: "greedy", maxNewTokens: 2 });
    const before = generator.transfers.bytesToCpu;
    const followUp = await promptFromInstruction(tiny.processor, testImage(), "Describe the scene again.", false);
    const out = await generator.generate(followUp, { kind: "greedy", maxNewTokens: 1 });
    expect(out.prefill.reusedPrefixTokens).toBeGreaterThan(0);
    const newRows = followUp.inputIds.length - out.prefill.reusedPrefixTokens;
    const width = 64 * 4;
    expect(generator.transfers.bytesToCpu - before).toBe(newRows * width * 4 + vocab * 4);
    generator.dispose();
  });
});
