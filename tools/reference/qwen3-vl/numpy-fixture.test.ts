import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY_SIZES, writeSyntheticSnapshot } from "../../convert/testing/synthetic.ts";
import { columnBlock, relativeError } from "../testing/compare.ts";
import { runReference } from "./run.ts";
import { loadReferenceModel, type ReferenceModel } from "./weights.ts";

/** tools/convert/testing/reference-fixture.json: an independent float64 NumPy forward pass on the synthetic checkpoint. */
interface NumpyFixture {
  features: number[];
  logitsLast: number[];
  logitsDecode: number[];
}

// The NumPy case (see reference_numpy.py): ids [5, 17, 9, 655×24, 33, 44] with 655 as the image pad after token 9,
// grid 1×8×12, pixel i = sin(0.37·i)·0.8, then one decode step of id 77.
const GRID: [number, number, number] = [1, 8, 12];
const [VISION_START, IMAGE, DECODED] = [9, 655, 77];

let root: string;
let model: ReferenceModel;
let fixture: NumpyFixture;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "reference-numpy-"));
  await writeSyntheticSnapshot(root, TINY_SIZES);
  const loaded = await loadReferenceModel(root);
  model = { ...loaded, tokens: { ...loaded.tokens, image: IMAGE, visionStart: VISION_START } };
  const path = new URL("../../convert/testing/reference-fixture.json", import.meta.url);
  fixture = JSON.parse(await readFile(path, "utf8"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the TypeScript reference against the NumPy reference (synthetic checkpoint)", () => {
  it("agrees on vision features, prefill and decode logits to 1e-6", () => {
    const ids = [5, 17, VISION_START, ...Array(24).fill(IMAGE), 33, 44];
    const pixelValues = Float32Array.from({ length: 96 * 1536 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 0.8));
    const run = runReference(model, { ids, pixelValues, grid: GRID, steps: 2, forcedIds: [DECODED] });
    const vision = run.vision;
    if (!vision) throw new Error("Expected vision features.");
    [vision.imageFeatures, ...vision.deepstack].forEach((part, block) => {
      expect(relativeError(part, columnBlock(fixture.features, vision.tokens, vision.width, block))).toBeLessThan(1e-6);
    });
    expect(relativeError(run.steps[0].logits, fixture.logitsLast)).toBeLessThan(1e-6);
    expect(relativeError(run.steps[1].logits, fixture.logitsDecode)).toBeLessThan(1e-6);
  });
});
