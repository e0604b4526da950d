import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTiny, testImage } from "../testing-tiny";
import {
  type BeamSearchSettings,
  beamSearch,
  type EarlyStopping,
  type Hypothesis,
  type LogitsProcessor,
} from "./beam-search";
import { Generator } from "./generator";
import { type PreparedPrompt, promptFromInstruction } from "./inputs";
import { logSoftmax, seededRandom } from "./sampling";

/**
 * The best sequence over `slice` by brute force: every sequence up to `maxNewTokens` tokens that ends at its first
 * eos or at the limit, scored sum(log_softmax(logits)[token]) / length ^ penalty.
 */
async function exhaustive(
  logitsAfter: (prefix: number[]) => Promise<Float32Array>,
  slice: number[],
  eos: number[],
  maxNewTokens: number,
  lengthPenalty: number,
): Promise<Hypothesis> {
  let best: Hypothesis = { tokens: [], score: Number.NEGATIVE_INFINITY };
  const visit = async (prefix: number[], sum: number) => {
    const logProbs = logSoftmax(await logitsAfter(prefix));
    for (const token of slice) {
      const tokens = [...prefix, token];
      const total = sum + logProbs[token];
      if (eos.includes(token) || tokens.length === maxNewTokens) {
        const score = total / tokens.length ** lengthPenalty;
        if (score > best.score) best = { tokens, score };
      } else await visit(tokens, total);
    }
  };
  await visit([], 0);
  return best;
}

/** Masks every token outside `slice` (to −∞), the way a restricting logits processor does. */
function restrictTo(slice: number[]): LogitsProcessor {
  return (scores) => {
    const kept = slice.map((t) => scores[t]);
    scores.fill(Number.NEGATIVE_INFINITY);
    slice.forEach((t, i) => {
      scores[t] = kept[i];
    });
  };
}

/** A made-up model: logits drawn from a seed per prefix, with a chosen boost for eos. */
function tableModel(vocab: number, seed: number, eosBoost: number) {
  const cache = new Map<string, Float32Array>();
  return (prefix: number[]) => {
    const key = prefix.join(",");
    let logits = cache.get(key);
    if (!logits) {
      const random = seededRandom(seed * 7919 + key.length * 31 + prefix.reduce((a, t) => a * 13 + t + 1, 7));
      logits = new Float32Array(vocab).map(() => 3 * random());
      logits[vocab - 1] += eosBoost;
      cache.set(key, logits);
    }
    return logits;
  };
}

/** Beam search over the table model, tracking each row's prefix from the parents it is given. */
async function beamOverTable(model: (prefix: number[]) => Float32Array, vocab: number, settings: BeamSearchSettings) {
  let rows: number[][] = [[]];
  return beamSearch(
    model([]),
    async (tokens, parents) => {
      rows = tokens.map((t, r) => [...rows[Math.min(parents[r], rows.length - 1)], t]);
      const out = new Float32Array(rows.length * vocab);
      for (const [r, prefix] of rows.entries()) out.set(model(prefix), r * vocab);
      return out;
    },
    settings,
  );
}

describe("beam search against exhaustive search (made-up logits)", () => {
  const vocab = 5;
  const eos = [vocab - 1];
  it.each([
    [1, 0.8, false],
    [2, 0.8, false],
    [3, 1.0, true],
    [4, 2.0, "never"],
    [5, -1.0, false],
  ] as Array<[number, number, EarlyStopping]>)(
    "seed %i, length penalty %f, early stopping %s",
    async (seed, lengthPenalty, earlyStopping) => {
      const model = tableModel(vocab, seed, 0.5);
      const settings = { numBeams: 80, lengthPenalty, earlyStopping, maxNewTokens: 4, eosTokenIds: eos };
      const found = await beamOverTable(model, vocab, settings);
      const expected = await exhaustive(async (p) => model(p), [0, 1, 2, 3, 4], eos, 4, lengthPenalty);
      expect(found.tokens).toEqual(expected.tokens);
      expect(found.score).toBeCloseTo(expected.score, 5);
    },
  );

  it("narrow beams stop on the early-stopping heuristic once every finished slot beats the running beams", async () => {
    const model = tableModel(vocab, 9, 4);
    const found = await beamOverTable(model, vocab, {
      numBeams: 2,
      lengthPenalty: 1,
      earlyStopping: false,
      maxNewTokens: 30,
      eosTokenIds: eos,
    });
    expect(found.steps).toBeLessThan(30);
    expect(found.tokens.at(-1)).toBe(eos[0]);
  });
});

describe("beam search on the tiny model against exhaustive search over a vocabulary slice", () => {
  let tiny: Awaited<ReturnType<typeof loadTiny>>;
  let generator: Generator;
  let prompt: PreparedPrompt;
  const EOS = 151645;
  // Three ordinary tokens and <|im_end|>; 3 steps, 12 beams: every candidate that can finish is kept.
  const slice = [279, 3460, 13, EOS];
  const steps = 3;
  const logitsAfter = async (prefix: number[]) =>
    (await generator.prefill({ inputIds: [...prompt.inputIds, ...prefix], image: prompt.image })).logits;

  beforeAll(async () => {
    tiny = await loadTiny();
    generator = new Generator(tiny.model, tiny.processor.tokenizer as never, { reusePrefix: false });
    prompt = await promptFromInstruction(tiny.processor, testImage(), "Describe the scene.", false);
  });
  afterAll(async () => {
    generator.dispose();
    await tiny.model.dispose();
  });

  const beam = (lengthPenalty: number) =>
    generator.generate(
      prompt,
      { kind: "beam", numBeams: 12, lengthPenalty, earlyStopping: false, maxNewTokens: steps },
      { processor: restrictTo(slice) },
    );

  it("finds the exhaustive best sequence and score, and the length penalty changes the winner", async () => {
    const short = await exhaustive(logitsAfter, slice, [EOS], steps, 0.8);
    const long = await exhaustive(logitsAfter, slice, [EOS], steps, 3);
    expect(short.tokens).not.toEqual(long.tokens);
    for (const [penalty, expected] of [
      [0.8, short],
      [3, long],
    ] as const) {
      const found = await beam(penalty);
      expect(found.tokenIds).toEqual(expected.tokens);
      expect(found.score).toBeCloseTo(expected.score, 3);
    }
  });

  it("reports progress per step and can be stopped", async () => {
    const views: number[] = [];
    const controller = new AbortController();
    const out = await generator.generate(
      prompt,
      { kind: "beam", numBeams: 3, lengthPenalty: 0.8, earlyStopping: false, maxNewTokens: 20 },
      {
        signal: controller.signal,
        callbacks: {
          onBeams: (view) => {
            views.push(view.step);
            expect(typeof view.bestText).toBe("string");
            if (view.step === 2) controller.abort();
          },
        },
      },
    );
    expect(views).toEqual([1, 2]);
    expect(out.stopped).toBe(true);
    expect(out.tokenIds.length).toBe(2);
  });
});
