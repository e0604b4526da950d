import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { columnBlock, relativeError, type StepSummary, summarizeStep } from "../testing/compare.ts";
import { runGraphs } from "../testing/onnx-graphs.ts";
import { referenceModel, referenceRun } from "./run.ts";
import type { Grid } from "./vision.ts";

/** tools/reference/testing/torch-fixture.json: upstream PyTorch (transformers 5.17, fp32, eager) on the tiny checkpoint. */
interface TorchFixture {
  grid: Grid;
  probeStride: number;
  checkpointSha256: Record<string, string>;
  /** [tokens · 64] each. */
  imageFeatures: number[];
  deepstackFeatures: number[][];
  imagePrompt: TorchGreedy;
  textPrompt: TorchGreedy;
}

interface TorchGreedy {
  ids: number[];
  generated: number[];
  steps: StepSummary[];
}

const SNAPSHOT = resolve(".cache/tiny-hf");
const MODEL_DIR = resolve("model-cache/geozero-tiny");
const TOLERANCE = 1e-4;

let fixture: TorchFixture;
let pixelValues: Float32Array;
let imageTokenId: number;
beforeAll(async () => {
  for (const path of [SNAPSHOT, MODEL_DIR])
    if (!existsSync(path)) throw new Error(`${path} is missing; run \`npm run fixtures\` to make the tiny model.`);
  const path = new URL("../testing/torch-fixture.json", import.meta.url);
  fixture = JSON.parse(await readFile(path, "utf8"));
  const [t, h, w] = fixture.grid;
  pixelValues = Float32Array.from({ length: t * h * w * 1536 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 0.8));
  imageTokenId = (await referenceModel(SNAPSHOT)).tokens.image;
});

/** Largest difference of the summarised numbers over the largest torch magnitude among them. */
function summaryError(actual: StepSummary, expected: StepSummary): number {
  const values = (s: StepSummary) => [...s.topValues, ...s.probes, s.logsumexp];
  return relativeError(values(actual), values(expected));
}

function expectSteps(logits: ArrayLike<number>[], expected: TorchGreedy) {
  expected.steps.forEach((step, i) => {
    const summary = summarizeStep(logits[i], fixture.probeStride);
    expect(summary.topIds, `step ${i}`).toEqual(step.topIds);
    expect(summaryError(summary, step), `step ${i}`).toBeLessThan(TOLERANCE);
  });
}

describe("upstream PyTorch numbers for the tiny checkpoint", () => {
  it("were made from this checkpoint", async () => {
    const { createHash } = await import("node:crypto");
    for (const [shard, sha256] of Object.entries(fixture.checkpointSha256)) {
      const digest = createHash("sha256").update(await readFile(resolve(SNAPSHOT, shard)));
      expect(digest.digest("hex"), shard).toBe(sha256);
    }
  });

  it.each(["imagePrompt", "textPrompt"] as const)(
    "%s: the TypeScript reference and the fp32 graphs give torch's greedy ids and logits to 1e-4",
    async (name) => {
      const expected = fixture[name];
      const withImage = name === "imagePrompt";
      const image = withImage ? { pixelValues, grid: fixture.grid } : {};
      const steps = expected.generated.length;
      const reference = await referenceRun({ snapshotDir: SNAPSHOT, ids: expected.ids, steps, ...image });
      expect(reference.ids).toEqual(expected.generated);
      expectSteps(
        reference.steps.map((step) => step.logits),
        expected,
      );
      const graphs = await runGraphs({
        modelDir: MODEL_DIR,
        suffix: "",
        ids: expected.ids,
        imageTokenId,
        ...image,
        positions: reference.positions,
        decodePositions: reference.decodePositions,
        steps,
      });
      expect(graphs.ids).toEqual(expected.generated);
      expectSteps(graphs.logits, expected);
      if (!withImage) return;
      const vision = reference.vision;
      if (!vision || !graphs.features) throw new Error("Expected image features.");
      const torchParts = [fixture.imageFeatures, ...fixture.deepstackFeatures];
      expect(torchParts).toHaveLength(1 + vision.deepstack.length);
      torchParts.forEach((torchPart, block) => {
        const referencePart = block === 0 ? vision.imageFeatures : vision.deepstack[block - 1];
        expect(relativeError(referencePart, torchPart), `reference block ${block}`).toBeLessThan(TOLERANCE);
        const graphPart = columnBlock(graphs.features as Float32Array, vision.tokens, vision.width, block);
        expect(relativeError(graphPart, torchPart), `graph block ${block}`).toBeLessThan(TOLERANCE);
      });
    },
  );
});
