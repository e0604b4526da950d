import { addInPlace, attend, geluErf, geluTanh, layerNorm, linear, mapInPlace, rotateHalfInPlace } from "./math.ts";
import type { ReferenceModel } from "./weights.ts";

/** Temporal, height and width of an image in patches (`image_grid_thw`). */
export type Grid = [t: number, h: number, w: number];

/** The vision tower's output for one image: one row per merged token, each `out_hidden_size` wide. */
export interface VisionFeatures {
  tokens: number;
  width: number;
  /** The final merger's output [tokens, width]: replaces the image pad embeddings. */
  imageFeatures: Float64Array;
  /** One [tokens, width] block per `deepstack_visual_indexes` entry: added after the first decoder layers. */
  deepstack: Float64Array[];
}

/** Full-resolution (row, column) of each patch, in the processor's order: frame, merge block row, block column, then within the block. */
function patchCoordinates([t, h, w]: Grid, merge: number): [number, number][] {
  const coordinates: [number, number][] = [];
  for (let frame = 0; frame < t; frame++)
    for (let blockRow = 0; blockRow < h / merge; blockRow++)
      for (let blockColumn = 0; blockColumn < w / merge; blockColumn++)
        for (let innerRow = 0; innerRow < merge; innerRow++)
          for (let innerColumn = 0; innerColumn < merge; innerColumn++)
            coordinates.push([blockRow * merge + innerRow, blockColumn * merge + innerColumn]);
  return coordinates;
}

/** `torch.linspace(0, side - 1, count)`. */
function linspace(last: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (count === 1 ? 0 : (i * last) / (count - 1)));
}

/** The learned square position table, bilinearly resampled to the grid (upstream `fast_pos_embed_interpolate`). */
function interpolatedPositions(model: ReferenceModel, coordinates: [number, number][], [, h, w]: Grid): Float64Array {
  const { hiddenSize, numPositionEmbeddings } = model.config.vision;
  const side = Math.round(Math.sqrt(numPositionEmbeddings));
  const table = model.tensor("model.visual.pos_embed.weight");
  const rows = linspace(side - 1, h);
  const columns = linspace(side - 1, w);
  const out = new Float64Array(coordinates.length * hiddenSize);
  coordinates.forEach(([row, column], patch) => {
    const [r0, c0] = [Math.trunc(rows[row]), Math.trunc(columns[column])];
    const [r1, c1] = [Math.min(r0 + 1, side - 1), Math.min(c0 + 1, side - 1)];
    const [dr, dc] = [rows[row] - r0, columns[column] - c0];
    const corners: [number, number][] = [
      [r0 * side + c0, (1 - dr) * (1 - dc)],
      [r0 * side + c1, (1 - dr) * dc],
      [r1 * side + c0, dr * (1 - dc)],
      [r1 * side + c1, dr * dc],
    ];
    for (const [index, weight] of corners)
      for (let i = 0; i < hiddenSize; i++) out[patch * hiddenSize + i] += weight * table[index * hiddenSize + i];
  });
  return out;
}

/** 2-D rotary angles per patch: row frequencies then column frequencies, the pair repeated to the head width. */
function rotaryAngles(coordinates: [number, number][], headDim: number): Float64Array[] {
  const quarter = headDim / 4;
  const inverse = Array.from({ length: quarter }, (_, i) => 1 / 10000 ** ((2 * i) / (headDim / 2)));
  return coordinates.map(([row, column]) => {
    const half = [...inverse.map((f) => row * f), ...inverse.map((f) => column * f)];
    return Float64Array.from([...half, ...half]);
  });
}

function visionBlock(
  model: ReferenceModel,
  index: number,
  x: Float64Array,
  angles: Float64Array[],
  framePatches: number,
): Float64Array {
  const { hiddenSize, numHeads, intermediateSize } = model.config.vision;
  const w = (name: string) => model.tensor(`model.visual.blocks.${index}.${name}`);
  const patches = angles.length;
  const headDim = hiddenSize / numHeads;
  const normed = layerNorm(x, hiddenSize, w("norm1.weight"), w("norm1.bias"));
  const qkv = linear(normed, patches, w("attn.qkv.weight"), w("attn.qkv.bias"), 3 * hiddenSize);
  const [q, k, v] = [0, 1, 2].map((part) => {
    const out = new Float64Array(patches * hiddenSize);
    for (let p = 0; p < patches; p++)
      out.set(
        qkv.subarray(p * 3 * hiddenSize + part * hiddenSize, p * 3 * hiddenSize + (part + 1) * hiddenSize),
        p * hiddenSize,
      );
    return out;
  });
  for (let p = 0; p < patches; p++)
    for (let head = 0; head < numHeads; head++) {
      rotateHalfInPlace(q, p * hiddenSize + head * headDim, angles[p]);
      rotateHalfInPlace(k, p * hiddenSize + head * headDim, angles[p]);
    }
  const head = (m: Float64Array, p: number, h: number) =>
    m.subarray(p * hiddenSize + h * headDim, p * hiddenSize + (h + 1) * headDim);
  const attended = new Float64Array(patches * hiddenSize);
  for (let p = 0; p < patches; p++) {
    const first = Math.floor(p / framePatches) * framePatches;
    const frame = Array.from({ length: framePatches }, (_, i) => first + i);
    for (let h = 0; h < numHeads; h++) {
      const out = attend(
        head(q, p, h),
        frame.map((j) => head(k, j, h)),
        frame.map((j) => head(v, j, h)),
      );
      attended.set(out, p * hiddenSize + h * headDim);
    }
  }
  addInPlace(x, linear(attended, patches, w("attn.proj.weight"), w("attn.proj.bias"), hiddenSize));
  const normed2 = layerNorm(x, hiddenSize, w("norm2.weight"), w("norm2.bias"));
  const hidden = mapInPlace(
    linear(normed2, patches, w("mlp.linear_fc1.weight"), w("mlp.linear_fc1.bias"), intermediateSize),
    geluTanh,
  );
  return addInPlace(x, linear(hidden, patches, w("mlp.linear_fc2.weight"), w("mlp.linear_fc2.bias"), hiddenSize));
}

/** Patch merger: 2×2 neighbouring patches concatenated, LayerNorm before (main) or after (DeepStack) the shuffle, MLP. */
function mergePatches(model: ReferenceModel, prefix: string, x: Float64Array, postShuffleNorm: boolean): Float64Array {
  const { hiddenSize, spatialMergeSize, outHiddenSize } = model.config.vision;
  const w = (name: string) => model.tensor(`${prefix}.${name}`);
  const wide = hiddenSize * spatialMergeSize ** 2;
  const tokens = x.length / wide;
  const normed = layerNorm(x, postShuffleNorm ? wide : hiddenSize, w("norm.weight"), w("norm.bias"));
  const hidden = mapInPlace(linear(normed, tokens, w("linear_fc1.weight"), w("linear_fc1.bias"), wide), geluErf);
  return linear(hidden, tokens, w("linear_fc2.weight"), w("linear_fc2.bias"), outHiddenSize);
}

/** The vision tower on one image: `pixelValues` [t·h·w, C·T·P·P] as the processor flattens them. */
export function encodeImage(model: ReferenceModel, pixelValues: ArrayLike<number>, grid: Grid): VisionFeatures {
  const vision = model.config.vision;
  const [t, h, w] = grid;
  const merge = vision.spatialMergeSize;
  const patchWidth = vision.inChannels * vision.temporalPatchSize * vision.patchSize ** 2;
  const patches = t * h * w;
  if (vision.hiddenAct !== "gelu_pytorch_tanh")
    throw new Error(`vision_config.hidden_act is ${vision.hiddenAct}; the reference implements gelu_pytorch_tanh.`);
  if (h % merge !== 0 || w % merge !== 0)
    throw new Error(`Grid ${grid.join("×")}: height and width must be multiples of spatial_merge_size ${merge}.`);
  if (pixelValues.length !== patches * patchWidth)
    throw new Error(
      `pixel_values has ${pixelValues.length} values; grid ${grid.join("×")} needs ${patches} × ${patchWidth}.`,
    );
  const coordinates = patchCoordinates(grid, merge);
  let x = linear(
    Float64Array.from(pixelValues),
    patches,
    model.tensor("model.visual.patch_embed.proj.weight"),
    model.tensor("model.visual.patch_embed.proj.bias"),
    vision.hiddenSize,
  );
  x = addInPlace(x, interpolatedPositions(model, coordinates, grid));
  const angles = rotaryAngles(coordinates, vision.hiddenSize / vision.numHeads);
  const deepstack: Float64Array[] = [];
  for (let block = 0; block < vision.depth; block++) {
    x = visionBlock(model, block, x, angles, h * w);
    const level = vision.deepstackVisualIndexes.indexOf(block);
    if (level >= 0) deepstack.push(mergePatches(model, `model.visual.deepstack_merger_list.${level}`, x, true));
  }
  const imageFeatures = mergePatches(model, "model.visual.merger", x, false);
  return { tokens: patches / merge ** 2, width: vision.outHiddenSize, imageFeatures, deepstack };
}
