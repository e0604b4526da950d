/**
 * The project's Generator (src/model/generation) on the fp32 tiny model against upstream PyTorch's `generate`
 * (tools/reference/testing/torch-fixture.json, made by reference_torch.py): the same prompt ids and pixel values,
 * greedy with and without an image, and beam search, token for token.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogitsProcessor } from "../../../src/model/generation/beam-search";
import { Generator } from "../../../src/model/generation/generator";
import { type ImageInput, preprocessedImage } from "../../../src/model/generation/inputs";
import type { LoadedFolder } from "../../../src/model/node-folder";
import { loadTiny } from "../../../src/model/testing-tiny";

interface TorchGreedy {
  ids: number[];
  generated: number[];
  /** the raw logits' argmax per step, before any logits processor */
  steps: Array<{ argmax: number }>;
}

interface TorchFixture {
  grid: [number, number, number];
  imagePrompt: TorchGreedy;
  textPrompt: TorchGreedy;
  beamSearch: { beams: number; lengthPenalty: number; maxNewTokens: number; sequences: number[][]; scores: number[] };
}

/** HF's `sequences_scores` come from float32 sums; the Generator sums the same log-probabilities in float64. */
const SCORE_TOLERANCE = 1e-4;

let fixture: TorchFixture;
let tiny: LoadedFolder;
let generator: Generator;
let image: ImageInput;

beforeAll(async () => {
  fixture = JSON.parse(await readFile(new URL("../testing/torch-fixture.json", import.meta.url), "utf8"));
  tiny = await loadTiny();
  generator = new Generator(tiny.model, tiny.processor.tokenizer as never, { reusePrefix: false });
  const [t, h, w] = fixture.grid;
  const pixels = Float32Array.from({ length: t * h * w * 1536 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 0.8));
  image = preprocessedImage(pixels, fixture.grid);
});
afterAll(async () => {
  generator?.dispose();
  await tiny?.model.dispose();
});

/**
 * HF's `MinNewTokensLengthLogitsProcessor`: eos cannot be chosen before `minNewTokens` tokens. The fixture's greedy runs
 * used min_new_tokens = max_new_tokens = 8, so they never end at eos; the Generator gets the same rule.
 */
function minNewTokens(count: number, eosTokenIds: readonly number[]): LogitsProcessor {
  return (scores, generated) => {
    if (generated.length < count) for (const eos of eosTokenIds) scores[eos] = Number.NEGATIVE_INFINITY;
  };
}

describe("the Generator against upstream PyTorch generate on the tiny checkpoint (fp32)", () => {
  it("uses the checkpoint's eos ids, none of which appears in the fixture's tokens or raw argmaxes", () => {
    expect(generator.eosTokenIds).toEqual([151645, 151643]);
    const fixtureIds = [
      ...fixture.imagePrompt.generated,
      ...fixture.textPrompt.generated,
      ...fixture.beamSearch.sequences.flat(),
    ];
    expect(fixtureIds.filter((id) => generator.eosTokenIds.includes(id))).toEqual([]);
    // min_new_tokens changed no greedy choice: every raw argmax is the token torch chose.
    for (const run of [fixture.imagePrompt, fixture.textPrompt])
      expect(run.steps.map((step) => step.argmax)).toEqual(run.generated);
  });

  it.each([
    ["image prompt", "imagePrompt"],
    ["text-only prompt (GeoZeroQwen3VL's positions)", "textPrompt"],
  ] as const)("greedy on the %s gives torch's ids", async (_, name) => {
    const expected = fixture[name];
    const output = await generator.generate(
      { inputIds: expected.ids, image: name === "imagePrompt" ? image : null },
      { kind: "greedy", maxNewTokens: expected.generated.length },
      { processor: minNewTokens(expected.generated.length, generator.eosTokenIds) },
    );
    expect(output.tokenIds).toEqual(expected.generated);
  });

  it("beam search (5 beams, length penalty 0.8, early_stopping False) gives torch's best sequence and score", async () => {
    const { beams, lengthPenalty, maxNewTokens, sequences, scores } = fixture.beamSearch;
    const output = await generator.generate(
      { inputIds: fixture.imagePrompt.ids, image },
      { kind: "beam", numBeams: beams, lengthPenalty, earlyStopping: false, maxNewTokens },
    );
    expect(output.tokenIds).toEqual(sequences[0]);
    expect(Math.abs((output.score as number) - scores[0])).toBeLessThan(SCORE_TOLERANCE);
  });
});
