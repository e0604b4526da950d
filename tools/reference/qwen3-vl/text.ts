import { addInPlace, attend, linear, rmsNorm, rotateHalfInPlace, silu } from "./math.ts";
import { EMBED, type ReferenceModel } from "./weights.ts";

/** Keys and values of every position seen so far, per layer, [positions, kv_heads · head_dim] after RoPE. */
export interface KvCache {
  length: number;
  keys: Float64Array[];
  values: Float64Array[];
}

/** DeepStack input: level k is added to the hidden states of `rows` after decoder layer k. */
export interface DeepstackInput {
  rows: number[];
  /** One [rows.length, hidden] block per level. */
  levels: Float64Array[];
}

export interface DecoderStep {
  /** [S, hidden]: token embeddings, image rows already replaced by the image features. */
  embeds: Float64Array;
  /** Three rows (temporal, height, width) of S positions. */
  positions: number[][];
  deepstack?: DeepstackInput;
}

export function emptyCache(model: ReferenceModel): KvCache {
  const layers = model.config.text.numLayers;
  return {
    length: 0,
    keys: Array.from({ length: layers }, () => new Float64Array(0)),
    values: Array.from({ length: layers }, () => new Float64Array(0)),
  };
}

/** Rows of the embedding table for `ids`, [ids.length, hidden]. */
export function embedTokens(model: ReferenceModel, ids: number[]): Float64Array {
  const { hiddenSize, vocabSize } = model.config.text;
  const table = model.tensor(EMBED);
  const out = new Float64Array(ids.length * hiddenSize);
  ids.forEach((id, row) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new RangeError(`Token id ${id} at ${row} is outside the vocabulary [0, ${vocabSize}).`);
    out.set(table.subarray(id * hiddenSize, (id + 1) * hiddenSize), row * hiddenSize);
  });
  return out;
}

/**
 * Interleaved MRoPE angles for one token: frequency j takes its position from the height row when j ≡ 1 (mod 3)
 * and j < 3·section[1], from the width row when j ≡ 2 (mod 3) and j < 3·section[2], else from the temporal row.
 */
export function mropeAngles(model: ReferenceModel, position: [number, number, number]): Float64Array {
  const { headDim, ropeTheta, mropeSection } = model.config.text;
  const half = headDim / 2;
  const angles = new Float64Array(headDim);
  for (let j = 0; j < half; j++) {
    let axis = 0;
    if (j % 3 === 1 && j < 3 * mropeSection[1]) axis = 1;
    if (j % 3 === 2 && j < 3 * mropeSection[2]) axis = 2;
    angles[j] = angles[half + j] = position[axis] / ropeTheta ** ((2 * j) / headDim);
  }
  return angles;
}

function concatRows(past: Float64Array, added: Float64Array): Float64Array {
  const out = new Float64Array(past.length + added.length);
  out.set(past);
  out.set(added, past.length);
  return out;
}

function attentionLayer(
  model: ReferenceModel,
  layer: number,
  x: Float64Array,
  angles: Float64Array[],
  cache: KvCache,
): Float64Array {
  const { hiddenSize, numHeads, numKvHeads, headDim, rmsNormEps } = model.config.text;
  const w = (name: string) => model.tensor(`model.language_model.layers.${layer}.${name}`);
  const rows = angles.length;
  const normed = rmsNorm(x, hiddenSize, w("input_layernorm.weight"), rmsNormEps);
  const q = rmsNorm(
    linear(normed, rows, w("self_attn.q_proj.weight"), undefined, numHeads * headDim),
    headDim,
    w("self_attn.q_norm.weight"),
    rmsNormEps,
  );
  const k = rmsNorm(
    linear(normed, rows, w("self_attn.k_proj.weight"), undefined, numKvHeads * headDim),
    headDim,
    w("self_attn.k_norm.weight"),
    rmsNormEps,
  );
  const v = linear(normed, rows, w("self_attn.v_proj.weight"), undefined, numKvHeads * headDim);
  for (let r = 0; r < rows; r++) {
    for (let head = 0; head < numHeads; head++) rotateHalfInPlace(q, (r * numHeads + head) * headDim, angles[r]);
    for (let head = 0; head < numKvHeads; head++) rotateHalfInPlace(k, (r * numKvHeads + head) * headDim, angles[r]);
  }
  const keys = concatRows(cache.keys[layer], k);
  const values = concatRows(cache.values[layer], v);
  cache.keys[layer] = keys;
  cache.values[layer] = values;
  const head = (m: Float64Array, position: number, h: number, heads: number) =>
    m.subarray((position * heads + h) * headDim, (position * heads + h + 1) * headDim);
  const group = numHeads / numKvHeads;
  const attended = new Float64Array(rows * numHeads * headDim);
  for (let r = 0; r < rows; r++) {
    const seen = Array.from({ length: cache.length + r + 1 }, (_, j) => j);
    for (let h = 0; h < numHeads; h++) {
      const kvHead = Math.floor(h / group);
      const out = attend(
        head(q, r, h, numHeads),
        seen.map((j) => head(keys, j, kvHead, numKvHeads)),
        seen.map((j) => head(values, j, kvHead, numKvHeads)),
      );
      attended.set(out, (r * numHeads + h) * headDim);
    }
  }
  return linear(attended, rows, w("self_attn.o_proj.weight"), undefined, hiddenSize);
}

function mlpLayer(model: ReferenceModel, layer: number, x: Float64Array, rows: number): Float64Array {
  const { hiddenSize, intermediateSize, rmsNormEps } = model.config.text;
  const w = (name: string) => model.tensor(`model.language_model.layers.${layer}.${name}`);
  const normed = rmsNorm(x, hiddenSize, w("post_attention_layernorm.weight"), rmsNormEps);
  const gate = linear(normed, rows, w("mlp.gate_proj.weight"), undefined, intermediateSize);
  const up = linear(normed, rows, w("mlp.up_proj.weight"), undefined, intermediateSize);
  for (let i = 0; i < gate.length; i++) gate[i] = silu(gate[i]) * up[i];
  return linear(gate, rows, w("mlp.down_proj.weight"), undefined, hiddenSize);
}

/** Runs S new positions through the decoder, extending `cache`; returns the final-norm hidden states [S, hidden]. */
export function decoderForward(model: ReferenceModel, step: DecoderStep, cache: KvCache): Float64Array {
  const { hiddenSize, numLayers, rmsNormEps } = model.config.text;
  const rows = step.embeds.length / hiddenSize;
  const angles = Array.from({ length: rows }, (_, r) =>
    mropeAngles(model, [step.positions[0][r], step.positions[1][r], step.positions[2][r]]),
  );
  const x = Float64Array.from(step.embeds);
  for (let layer = 0; layer < numLayers; layer++) {
    addInPlace(x, attentionLayer(model, layer, x, angles, cache));
    addInPlace(x, mlpLayer(model, layer, x, rows));
    const level = step.deepstack?.levels[layer];
    if (level && step.deepstack)
      step.deepstack.rows.forEach((row, i) => {
        for (let d = 0; d < hiddenSize; d++) x[row * hiddenSize + d] += level[i * hiddenSize + d];
      });
  }
  cache.length += rows;
  return rmsNorm(x, hiddenSize, model.tensor("model.language_model.norm.weight"), rmsNormEps);
}

/** lm_head on one final hidden state row: the logits over the vocabulary. */
export function logitsOf(model: ReferenceModel, hidden: Float64Array, row: number): Float64Array {
  const { hiddenSize, vocabSize } = model.config.text;
  return linear(
    hidden.subarray(row * hiddenSize, (row + 1) * hiddenSize),
    1,
    model.tensor("lm_head.weight"),
    undefined,
    vocabSize,
  );
}
