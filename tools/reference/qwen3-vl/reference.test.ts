import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { AutoTokenizer, env } from "@huggingface/transformers";
import { beforeAll, describe, expect, it } from "vitest";
import { columnBlock, correlation, relativeError } from "../testing/compare.ts";
import { type GraphSuffix, runGraphs } from "../testing/onnx-graphs.ts";
import { withQ4Weights } from "./q4-weights.ts";
import { type ReferenceRun, referenceModel, referenceRun, runReference } from "./run.ts";
import type { Grid } from "./vision.ts";

// The project's tiny checkpoint (`npm run fixtures`): real Qwen3 tokenizer, vocab 151936, DeepStack at 3 levels.
const SNAPSHOT = resolve(".cache/tiny-hf");
const MODEL_DIR = resolve("model-cache/geozero-tiny");
const GRID: Grid = [1, 8, 12];
const STEPS = 10;
const TOLERANCE = 1e-4;
const PIXELS = Float32Array.from({ length: GRID[0] * GRID[1] * GRID[2] * 1536 }, (_, i) =>
  Math.fround(Math.sin(i * 0.37) * 0.8),
);

let imagePrompt: number[];
let textPrompt: number[];
let imageTokenId: number;
let image: ReferenceRun;
let text: ReferenceRun;

beforeAll(async () => {
  for (const path of [SNAPSHOT, MODEL_DIR])
    if (!existsSync(path)) throw new Error(`${path} is missing; run \`npm run fixtures\` to make the tiny model.`);
  env.allowRemoteModels = false;
  env.localModelPath = resolve("model-cache");
  const tokenizer = await AutoTokenizer.from_pretrained("geozero-tiny");
  const chat = (content: string) => `<|im_start|>user\n${content}<|im_end|>\n<|im_start|>assistant\n<think>\n`;
  const pads = "<|image_pad|>".repeat((GRID[1] * GRID[2]) / 4);
  const encode = (prompt: string) => tokenizer.encode(prompt, { add_special_tokens: false });
  imagePrompt = encode(chat(`<|vision_start|>${pads}<|vision_end|>What is in this image?`));
  textPrompt = encode(chat("Describe a river delta seen from orbit."));
  imageTokenId = (await referenceModel(SNAPSHOT)).tokens.image;
  image = await referenceRun({
    snapshotDir: SNAPSHOT,
    ids: imagePrompt,
    pixelValues: PIXELS,
    grid: GRID,
    steps: STEPS,
  });
  text = await referenceRun({ snapshotDir: SNAPSHOT, ids: textPrompt, steps: STEPS });
});

/** Per-block relative error of packed graph features against the reference's merger and DeepStack blocks. */
function featureErrors(features: Float32Array | undefined, reference: ReferenceRun): number[] {
  const vision = reference.vision;
  if (!features || !vision) throw new Error("Expected image features from both.");
  return [vision.imageFeatures, ...vision.deepstack].map((part, block) =>
    relativeError(columnBlock(features, vision.tokens, vision.width, block), part),
  );
}

function graphs(reference: ReferenceRun, ids: number[], suffix: GraphSuffix, forced: boolean) {
  const withImage = ids === imagePrompt;
  return runGraphs({
    modelDir: MODEL_DIR,
    suffix,
    ids,
    imageTokenId,
    pixelValues: withImage ? PIXELS : undefined,
    grid: withImage ? GRID : undefined,
    positions: reference.positions,
    decodePositions: reference.decodePositions,
    forcedIds: forced ? reference.ids : undefined,
    steps: STEPS,
  });
}

describe("the prompt", () => {
  it("holds one image of 24 merged tokens at multimodal positions", () => {
    expect(imagePrompt.filter((id) => id === imageTokenId)).toHaveLength(24);
    expect(image.positions[1]).not.toEqual(image.positions[2]);
    expect(image.decodePositions[0]).toBeLessThan(imagePrompt.length);
  });
});

describe("fp32 graphs against the TypeScript reference (tiny checkpoint)", () => {
  it("match the vision features, merger and each DeepStack level, to 1e-4", async () => {
    const { features } = await graphs(image, imagePrompt, "", true);
    const errors = featureErrors(features, image);
    expect(errors).toHaveLength(4);
    for (const error of errors) expect(error).toBeLessThan(TOLERANCE);
  });

  it.each([
    ["image + text", () => [image, imagePrompt] as const],
    ["text-only", () => [text, textPrompt] as const],
  ])("match %s logits over prefill and decode steps with the cache to 1e-4, and greedy ids", async (_, cases) => {
    const [reference, ids] = cases();
    const run = await graphs(reference, ids, "", false);
    expect(run.ids).toEqual(reference.ids);
    reference.steps.forEach((step, i) => {
      expect(relativeError(run.logits[i], step.logits), `step ${i}`).toBeLessThan(TOLERANCE);
    });
  });
});

describe("the cases depend on what they claim to test", () => {
  it.each([
    ["DeepStack additions", { deepstack: true }],
    ["multimodal positions", { multimodalPositions: true }],
  ])("removing the %s moves the reference logits far beyond the tolerance", async (_, ablate) => {
    const ablated = await referenceRun({
      snapshotDir: SNAPSHOT,
      ids: imagePrompt,
      pixelValues: PIXELS,
      grid: GRID,
      steps: 1,
      ablate,
    });
    expect(relativeError(ablated.steps[0].logits, image.steps[0].logits)).toBeGreaterThan(100 * TOLERANCE);
  });
});

/**
 * 4-bit graphs. Against a reference run on the same 4-bit-rounded weights they must agree as closely as fp32 does
 * (q4) or within float16 rounding (q4f16); against the fp32 reference they stay within the bounds measured on this
 * random-weight checkpoint (onnxruntime-node 1.30 CPU, which runs GatherBlockQuantized, so every graph is the
 * dtype's own; decode steps teacher-forced with the fp32 greedy ids so all see the same context):
 *
 *   q4 vs q4-weight reference:     logits ≤ 8.0e-7, features ≤ 5.8e-7, top-1 10/10
 *   q4f16 vs q4-weight reference:  logits ≤ 2.2e-3, features ≤ 7.9e-4, top-1 10/10
 *   q4, q4f16 vs fp32 reference:   logits ≤ 0.27 (image) / 0.38 (text) relative, Pearson ≥ 0.93, top-1 4/10 and
 *                                  5/10 (random weights leave near-ties at the top of a 151936-word vocabulary)
 */
describe("q4 and q4f16 graphs", () => {
  let q4Image: ReferenceRun;
  let q4Text: ReferenceRun;
  beforeAll(async () => {
    const q4Model = withQ4Weights(await referenceModel(SNAPSHOT));
    const forced = (run: ReferenceRun) => ({ steps: STEPS, forcedIds: run.ids });
    q4Image = runReference(q4Model, { ids: imagePrompt, pixelValues: PIXELS, grid: GRID, ...forced(image) });
    q4Text = runReference(q4Model, { ids: textPrompt, ...forced(text) });
  });

  const bounds = { _q4: { logits: 1e-5, features: 1e-5 }, _q4f16: { logits: 5e-3, features: 2e-3 } } as const;
  it.each(["_q4", "_q4f16"] as const)("%s matches the reference on 4-bit-rounded weights", async (suffix) => {
    for (const [reference, q4Reference, ids] of [
      [image, q4Image, imagePrompt],
      [text, q4Text, textPrompt],
    ] as const) {
      const run = await graphs(reference, ids, suffix, true);
      if (ids === imagePrompt)
        for (const error of featureErrors(run.features, q4Reference))
          expect(error).toBeLessThan(bounds[suffix].features);
      q4Reference.steps.forEach((step, i) => {
        expect(relativeError(run.logits[i], step.logits), `step ${i}`).toBeLessThan(bounds[suffix].logits);
      });
      expect(run.ids).toEqual(q4Reference.ids);
    }
  });

  it.each(["_q4", "_q4f16"] as const)("%s stays within the measured bounds of the fp32 reference", async (suffix) => {
    for (const [reference, ids] of [
      [image, imagePrompt],
      [text, textPrompt],
    ] as const) {
      const run = await graphs(reference, ids, suffix, true);
      const errors = reference.steps.map((step, i) => relativeError(run.logits[i], step.logits));
      const correlations = reference.steps.map((step, i) => correlation(run.logits[i], step.logits));
      const agreeing = run.ids.filter((id, i) => id === reference.ids[i]).length;
      expect(Math.max(...errors)).toBeLessThan(0.45);
      expect(Math.min(...correlations)).toBeGreaterThan(0.9);
      expect(agreeing).toBeGreaterThanOrEqual(3);
    }
  });
});
