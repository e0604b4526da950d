import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttentionKind } from "../../src/convert/family-types.ts";
import { relativeError } from "../reference/testing/compare.ts";
import { convertSnapshot } from "./convert.ts";
import { TINY_SIZES, writeSyntheticSnapshot } from "./testing/synthetic.ts";

/** Values from tools/convert/testing/reference_numpy.py (float64 NumPy forward pass of upstream Qwen3-VL). */
interface Fixture {
  features: number[];
  logitsLast: number[];
  logitsImageRow: number[];
  logitsDecode: number[];
}

const [T, H, W, IMG] = [1, 8, 12, 655];
let root: string;
let fixture: Fixture;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "reference-"));
  await writeSyntheticSnapshot(join(root, "snapshot"), TINY_SIZES);
  for (const attention of ["fused", "portable"] as const) {
    await convertSnapshot({
      snapshotDir: join(root, "snapshot"),
      outDir: join(root, attention),
      dtypes: ["fp32"],
      attention,
      visionAttention: attention,
    });
  }
  fixture = JSON.parse(await readFile(new URL("./testing/reference-fixture.json", import.meta.url), "utf8"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function mropeRows(): number[][] {
  const rows: number[][] = [
    [0, 1, 2],
    [0, 1, 2],
    [0, 1, 2],
  ];
  for (let a = 0; a < H / 2; a++) {
    for (let b = 0; b < W / 2; b++) {
      rows[0].push(3);
      rows[1].push(3 + a);
      rows[2].push(3 + b);
    }
  }
  for (const row of rows) row.push(9, 10);
  return rows;
}

const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);

async function runCase(dir: string) {
  const session = (name: string) => ort.InferenceSession.create(join(dir, "onnx", `${name}.onnx`));
  const patches = T * H * W;
  const pixels = Float32Array.from({ length: patches * 1536 }, (_, i) => Math.sin(i * 0.37) * 0.8);
  const vision = await session("vision_encoder");
  const { image_features } = await vision.run({
    pixel_values: new ort.Tensor("float32", pixels, [patches, 1536]),
    image_grid_thw: int64([T, H, W], [1, 3]),
  });
  const features = image_features.data as Float32Array;
  const width = image_features.dims[1] as number;
  const ids = [5, 17, 9, ...Array(patches / 4).fill(IMG), 33, 44];
  const embed = await session("embed_tokens");
  const embeds = (await embed.run({ input_ids: int64(ids, [1, ids.length]) })).inputs_embeds;
  const packed = embeds.data as Float32Array;
  let row = 0;
  ids.forEach((id, i) => {
    if (id === IMG) packed.set(features.subarray(row * width, ++row * width), i * width);
  });
  const decoder = await session("decoder_model_merged");
  const empty = new ort.Tensor("float32", new Float32Array(0), [1, TINY_SIZES.kvHeads, 0, TINY_SIZES.headDim]);
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: embeds,
    attention_mask: int64(
      ids.map(() => 1),
      [1, ids.length],
    ),
    position_ids: int64(mropeRows().flat(), [3, 1, ids.length]),
    num_logits_to_keep: int64([0], []),
  };
  for (let i = 0; i < TINY_SIZES.textLayers; i++) {
    feeds[`past_key_values.${i}.key`] = empty;
    feeds[`past_key_values.${i}.value`] = empty;
  }
  const prefill = await decoder.run(feeds);
  const step = (await embed.run({ input_ids: int64([77], [1, 1]) })).inputs_embeds;
  const stepFeeds: Record<string, ort.Tensor> = {
    inputs_embeds: step,
    attention_mask: int64(
      [...ids, 77].map(() => 1),
      [1, ids.length + 1],
    ),
    position_ids: int64([11, 11, 11], [3, 1, 1]),
    num_logits_to_keep: int64([1], []),
  };
  for (let i = 0; i < TINY_SIZES.textLayers; i++) {
    stepFeeds[`past_key_values.${i}.key`] = prefill[`present.${i}.key`];
    stepFeeds[`past_key_values.${i}.value`] = prefill[`present.${i}.value`];
  }
  const decoded = await decoder.run(stepFeeds);
  const logits = prefill.logits.data as Float32Array;
  const vocab = TINY_SIZES.vocab;
  return {
    features,
    logitsLast: logits.subarray((ids.length - 1) * vocab, ids.length * vocab),
    logitsImageRow: logits.subarray(3 * vocab, 4 * vocab),
    logitsDecode: decoded.logits.data as Float32Array,
  };
}

describe.each<AttentionKind>(["fused", "portable"])(
  "fp32 graphs (%s attention) against the NumPy reference",
  (attention) => {
    it("match vision features (DeepStack columns included), prefill and decode logits to 1e-4", async () => {
      const result = await runCase(join(root, attention));
      expect(result.features.length).toBe(fixture.features.length);
      expect(relativeError(result.features, fixture.features)).toBeLessThan(1e-4);
      expect(relativeError(result.logitsImageRow, fixture.logitsImageRow)).toBeLessThan(1e-4);
      expect(relativeError(result.logitsLast, fixture.logitsLast)).toBeLessThan(1e-4);
      expect(relativeError(result.logitsDecode, fixture.logitsDecode)).toBeLessThan(1e-4);
    });
  },
);
