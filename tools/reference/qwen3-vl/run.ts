/**
 * Reference forward pass of Qwen3-VL in plain TypeScript (float64 arithmetic on the checkpoint's weights), written
 * from the published architecture (upstream transformers `modeling_qwen3_vl.py`). It shares nothing with the
 * converter's graph code except reading config.json and safetensors, so the graphs are checked against an
 * independent computation. Unoptimised: meant for the tiny test checkpoint.
 */
import { argmax } from "./math.ts";
import { ropeIndex } from "./positions.ts";
import { decoderForward, embedTokens, emptyCache, logitsOf } from "./text.ts";
import { encodeImage, type Grid, type VisionFeatures } from "./vision.ts";
import { loadReferenceModel, type ReferenceModel } from "./weights.ts";

export interface ReferenceRunOptions {
  /** Prompt ids; an image appears as `<|vision_start|>`, one `<|image_pad|>` per merged token, `<|vision_end|>`. */
  ids: number[];
  /** [t·h·w, 1536] flattened as the processor writes `pixel_values`; omit for a text-only prompt. */
  pixelValues?: ArrayLike<number>;
  grid?: Grid;
  /** Greedy steps: step 0 is the prefill's last position, each later one decodes the previous pick with the cache. */
  steps: number;
  /** Ids fed at the decode steps instead of the greedy picks (teacher forcing); `ids` still reports the picks. */
  forcedIds?: number[];
  /** Ablations showing the tests depend on them: drop the DeepStack additions, or use positions 0, 1, 2, … */
  ablate?: { deepstack?: boolean; multimodalPositions?: boolean };
}

export interface ReferenceStep {
  logits: Float64Array;
  id: number;
}

export interface ReferenceRun {
  steps: ReferenceStep[];
  /** The greedy ids, one per step. */
  ids: number[];
  vision?: VisionFeatures;
  /** Three rows of prompt positions fed to the prefill (what upstream `get_rope_index` gives). */
  positions: number[][];
  /** Per decode step: the position all three rows share. */
  decodePositions: number[];
}

const models = new Map<string, Promise<ReferenceModel>>();

/** Loads a snapshot once per process. */
export function referenceModel(snapshotDir: string): Promise<ReferenceModel> {
  let model = models.get(snapshotDir);
  if (!model) {
    model = loadReferenceModel(snapshotDir);
    models.set(snapshotDir, model);
  }
  return model;
}

/** Token embeddings with the image pad rows replaced by the image features, and the DeepStack rows. */
function promptEmbeds(model: ReferenceModel, ids: number[], vision: VisionFeatures | undefined) {
  const embeds = embedTokens(model, ids);
  const imageRows = ids.flatMap((id, row) => (id === model.tokens.image ? [row] : []));
  if (!vision) {
    if (imageRows.length > 0) throw new Error(`The prompt has ${imageRows.length} image pads but no pixel values.`);
    return { embeds, deepstack: undefined };
  }
  if (imageRows.length !== vision.tokens)
    throw new Error(`The prompt has ${imageRows.length} image pads; the image gives ${vision.tokens} features.`);
  const width = vision.width;
  imageRows.forEach((row, i) => {
    embeds.set(vision.imageFeatures.subarray(i * width, (i + 1) * width), row * width);
  });
  return { embeds, deepstack: { rows: imageRows, levels: vision.deepstack } };
}

/** Prefill plus greedy decoding with the KV cache on a snapshot folder, keeping every step's logits. */
export async function referenceRun(options: ReferenceRunOptions & { snapshotDir: string }): Promise<ReferenceRun> {
  return runReference(await referenceModel(options.snapshotDir), options);
}

/** {@link referenceRun} on a model already in memory. */
export function runReference(model: ReferenceModel, options: ReferenceRunOptions): ReferenceRun {
  const { ids, pixelValues, grid, steps, ablate = {} } = options;
  if ((pixelValues === undefined) !== (grid === undefined))
    throw new Error("Give both pixelValues and grid, or neither.");
  const vision = pixelValues && grid ? encodeImage(model, pixelValues, grid) : undefined;
  const { embeds, deepstack } = promptEmbeds(model, ids, vision);
  const index = ablate.multimodalPositions
    ? { positions: [0, 1, 2].map(() => ids.map((_, i) => i)), delta: 0 }
    : ropeIndex(ids, grid ? [grid] : [], model.tokens, model.config.vision.spatialMergeSize);
  const cache = emptyCache(model);
  const hidden = decoderForward(
    model,
    { embeds, positions: index.positions, deepstack: ablate.deepstack ? undefined : deepstack },
    cache,
  );
  let logits = logitsOf(model, hidden, ids.length - 1);
  const run: ReferenceRun = { steps: [], ids: [], vision, positions: index.positions, decodePositions: [] };
  for (let step = 0; step < steps; step++) {
    const id = argmax(logits);
    run.steps.push({ logits, id });
    run.ids.push(id);
    if (step === steps - 1) break;
    const position = cache.length + index.delta;
    run.decodePositions.push(position);
    const fed = options.forcedIds?.[step] ?? id;
    const next = decoderForward(
      model,
      { embeds: embedTokens(model, [fed]), positions: [[position], [position], [position]] },
      cache,
    );
    logits = logitsOf(model, next, 0);
  }
  return run;
}
