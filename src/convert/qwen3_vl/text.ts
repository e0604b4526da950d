import type { GraphBuilder } from "../graph/builder.ts";
import {
  makeAdd,
  makeAnd,
  makeCast,
  makeConcat,
  makeCos,
  makeDynamicSlice,
  makeGather,
  makeLessOrEqual,
  makeMatMul,
  makeMul,
  makeNeg,
  makeRange,
  makeReduceSum,
  makeReshape,
  makeShape,
  makeSin,
  makeSlice,
  makeSoftmax,
  makeSplit,
  makeSub,
  makeTranspose,
  makeUnsqueeze,
  makeWhere,
} from "../graph/ops.ts";
import type { Qwen3VLConfig } from "./config.ts";

type TextConfig = Qwen3VLConfig["text"];

/** Cos and sin of the rotary angles, [B, S, head_dim], in the graph's float type. */
export interface Rotary {
  cos: string;
  sin: string;
}

/**
 * The rotary angles as RotaryEmbedding's caches: cos and sin of each position's half angles, one row per position of
 * the batch [B·S, head_dim/2], and position_ids [B, S] = 0…B·S−1 that pick each row.
 */
export interface RotaryCache {
  positionIds: string;
  cos: string;
  sin: string;
}

const LOWEST = { float32: -3.4028234663852886e38, float16: -65504 } as const;

/** Inverse frequencies of the text rotary embedding: theta^(-2i/d), i < d/2. */
export function textInverseFrequencies(headDim: number, theta: number): Float32Array {
  return Float32Array.from({ length: headDim / 2 }, (_, i) => 1 / theta ** ((2 * i) / headDim));
}

/**
 * Which position row (0 = T, 1 = H, 2 = W) drives each rotary frequency in Qwen3-VL's interleaved MRoPE:
 * index j takes H when j % 3 = 1 and j < 3·section[1], W when j % 3 = 2 and j < 3·section[2], else T.
 */
export function interleavedMropeRows(section: number[], halfDim: number): number[] {
  return Array.from({ length: halfDim }, (_, j) => {
    if (j % 3 === 1 && j < 3 * section[1]) return 1;
    if (j % 3 === 2 && j < 3 * section[2]) return 2;
    return 0;
  });
}

/**
 * Interleaved multimodal rotary angles from 3-row position ids.
 *
 *   position_ids [3,B,S] ─Cast─Unsqueeze(-1)─► [3,B,S,1] ─Mul(inv_freq [d/2])─► freqs [3,B,S,d/2]
 *   freqs ─Mul(row selector one-hot [3,1,1,d/2])─ReduceSum(axis 0)─► [B,S,d/2] ─Concat(x,x)─► [B,S,d]
 *   ─Cos/Sin─Cast─► cos, sin [B,S,d]
 */
export function makeMrope(g: GraphBuilder, config: TextConfig, positionIds: string): Rotary {
  const chosen = makeMropeAngles(g, config, positionIds);
  const emb = makeConcat(g, `${MROPE}/Concat`, [chosen, chosen], -1);
  return {
    cos: toFloatType(g, makeCos(g, `${MROPE}/Cos`, emb), "cos"),
    sin: toFloatType(g, makeSin(g, `${MROPE}/Sin`, emb), "sin"),
  };
}

/**
 * The same angles as RotaryEmbedding's caches (fused attention): cos and sin of the half angles only, rows flattened
 * to [B·S, d/2], and the positions picking them.
 *
 *   freqs [B,S,d/2] ─Cos/Sin─Cast─Reshape[-1,d/2]─► cos, sin;  Range(B·S) ─Reshape[B,S]─► position_ids
 */
export function makeMropeCache(g: GraphBuilder, config: TextConfig, positionIds: string): RotaryCache {
  const half = config.headDim / 2;
  const chosen = makeMropeAngles(g, config, positionIds);
  const rows = (x: string, op: string) =>
    makeReshape(g, `${MROPE}/${op}/cache/Reshape`, toFloatType(g, x, op), g.int64([-1, half]));
  const batchBySequence = makeShape(g, `${MROPE}/cache/Shape`, chosen); // [B, S, d/2]
  const size = makeMul(
    g,
    `${MROPE}/cache/rows/Mul`,
    makeGather(g, `${MROPE}/cache/B/Gather`, batchBySequence, g.int64([0], [])),
    makeGather(g, `${MROPE}/cache/S/Gather`, batchBySequence, g.int64([1], [])),
  );
  const positions = makeRange(g, `${MROPE}/cache/Range`, g.int64([0], []), size, g.int64([1], []));
  const shape = makeSlice(g, `${MROPE}/cache/shape/Slice`, batchBySequence, [0], [2], [0]);
  return {
    positionIds: makeReshape(g, `${MROPE}/cache/positions/Reshape`, positions, shape),
    cos: rows(makeCos(g, `${MROPE}/Cos`, chosen), "cos"),
    sin: rows(makeSin(g, `${MROPE}/Sin`, chosen), "sin"),
  };
}

const MROPE = "/model/rotary_emb";

const toFloatType = (g: GraphBuilder, x: string, op: string) =>
  g.floatType === "float32" ? x : makeCast(g, `${MROPE}/${op}/Cast`, x, g.floatType);

/** freqs [B, S, d/2]: each frequency times the position row (T, H or W) that drives it. */
function makeMropeAngles(g: GraphBuilder, config: TextConfig, positionIds: string): string {
  const half = config.headDim / 2;
  const invFreq = g.makeInitializer(
    `${MROPE}/inv_freq`,
    "float32",
    [half],
    new Uint8Array(textInverseFrequencies(config.headDim, config.ropeTheta).buffer),
  );
  const rows = interleavedMropeRows(config.mropeSection, half);
  const selector = new Float32Array(3 * half);
  rows.forEach((row, j) => {
    selector[row * half + j] = 1;
  });
  const select = g.makeInitializer(
    `${MROPE}/mrope_selector`,
    "float32",
    [3, 1, 1, half],
    new Uint8Array(selector.buffer),
  );
  const positions = makeUnsqueeze(g, `${MROPE}/Unsqueeze`, makeCast(g, `${MROPE}/Cast`, positionIds, "float32"), [3]);
  const freqs = makeMul(g, `${MROPE}/freqs/Mul`, positions, invFreq);
  return makeReduceSum(g, `${MROPE}/ReduceSum`, makeMul(g, `${MROPE}/select/Mul`, freqs, select), [0], 0);
}

/**
 * Additive attention bias [B,1,S,T]: 0 where key j is unmasked and j ≤ past + i, the lowest float elsewhere.
 *
 *   T = Shape(attention_mask)[1], S = Shape(inputs_embeds)[1]
 *   Range(T)[None,:] ≤ (Range(S) + T − S)[:,None] ─And─ Cast(attention_mask, bool)[:,None,None,:] ─Where(0, lowest)
 */
export function makeCausalBias(g: GraphBuilder, attentionMask: string, inputsEmbeds: string): string {
  const prefix = "/model/attn_mask";
  const total = makeGather(
    g,
    `${prefix}/total/Gather`,
    makeShape(g, `${prefix}/mask/Shape`, attentionMask),
    g.int64([1], []),
  );
  const length = makeGather(
    g,
    `${prefix}/length/Gather`,
    makeShape(g, `${prefix}/embeds/Shape`, inputsEmbeds),
    g.int64([1], []),
  );
  const past = makeSub(g, `${prefix}/past/Sub`, total, length);
  const one = g.int64([1], []);
  const zero = g.int64([0], []);
  const columns = makeRange(g, `${prefix}/columns/Range`, zero, total, one);
  const rows = makeAdd(g, `${prefix}/rows/Add`, makeRange(g, `${prefix}/rows/Range`, zero, length, one), past);
  const causal = makeLessOrEqual(
    g,
    `${prefix}/LessOrEqual`,
    columns,
    makeUnsqueeze(g, `${prefix}/rows/Unsqueeze`, rows, [1]),
  );
  const keep = makeUnsqueeze(
    g,
    `${prefix}/keep/Unsqueeze`,
    makeCast(g, `${prefix}/keep/Cast`, attentionMask, "bool"),
    [1, 2],
  );
  const allowed = makeAnd(g, `${prefix}/And`, causal, keep);
  return makeWhere(g, `${prefix}/Where`, allowed, g.float(0), g.float(LOWEST[g.floatType]));
}

/**
 * Rotates pairs (x1, x2) of the two halves of the last axis: x·cos + cat(−x2, x1)·sin.
 *
 *   x ─Split(halves)─► x1, x2 ─► Concat(Neg(x2), x1) ─Mul(sin)─┐
 *   x ───────────────────────────────────────────Mul(cos)─────Add─► y
 */
export function makeRotary(g: GraphBuilder, prefix: string, x: string, cos: string, sin: string, dim: number): string {
  const [x1, x2] = makeSplit(g, `${prefix}/Split`, x, [dim / 2, dim / 2], -1);
  const rotated = makeConcat(g, `${prefix}/Concat`, [makeNeg(g, `${prefix}/Neg`, x2), x1], -1);
  return makeAdd(
    g,
    `${prefix}/Add`,
    makeMul(g, `${prefix}/cos/Mul`, x, cos),
    makeMul(g, `${prefix}/sin/Mul`, rotated, sin),
  );
}

/**
 * Softmax attention over [.., S, d] queries and [.., T, d] keys with an additive bias; the softmax runs in float32.
 *
 *   q ─MatMul(Transpose(k))─Mul(scale)─Add(bias)─[Cast f32]─Softmax─[Cast]─MatMul(v)─► out
 */
export function makeAttentionCore(
  g: GraphBuilder,
  prefix: string,
  qkv: { q: string; k: string; v: string },
  bias: string,
  scale: number,
  keyPerm: number[],
): string {
  const keysT = makeTranspose(g, `${prefix}/qk/Transpose`, qkv.k, keyPerm);
  const scores = makeMul(g, `${prefix}/scale/Mul`, makeMatMul(g, `${prefix}/qk/MatMul`, qkv.q, keysT), g.float(scale));
  const biased = makeAdd(g, `${prefix}/bias/Add`, scores, bias);
  const wide = g.floatType === "float32" ? biased : makeCast(g, `${prefix}/scores/Cast`, biased, "float32");
  const probs32 = makeSoftmax(g, `${prefix}/Softmax`, wide, -1);
  const probs = g.floatType === "float32" ? probs32 : makeCast(g, `${prefix}/probs/Cast`, probs32, g.floatType);
  return makeMatMul(g, `${prefix}/pv/MatMul`, probs, qkv.v);
}

/** The rotary angles with a head axis inserted at `axis` (1: [B,1,S,d] for BNSH, 2: [B,S,1,d] for BSNH). */
export function rotaryWithHeadAxis(g: GraphBuilder, rotary: Rotary, axis: 1 | 2): Rotary {
  const prefix = `/model/rotary_emb/head_axis_${axis}`;
  return {
    cos: makeUnsqueeze(g, `${prefix}/cos/Unsqueeze`, rotary.cos, [axis]),
    sin: makeUnsqueeze(g, `${prefix}/sin/Unsqueeze`, rotary.sin, [axis]),
  };
}

/** Column block `block` (0 = the embedding, k + 1 = DeepStack level k) of the packed [B, S, H·(1+D)] embeds. */
export function makeEmbedBlock(g: GraphBuilder, embeds: string, block: number, hidden: number): string {
  return makeSlice(
    g,
    `/model/inputs_embeds/block_${block}/Slice`,
    embeds,
    [block * hidden],
    [(block + 1) * hidden],
    [2],
  );
}

/** Keeps the last `num_logits_to_keep` positions (0 keeps all): start = S − n − (n = 0)·S. */
export function makeKeepLast(g: GraphBuilder, hidden: string, numLogitsToKeep: string): string {
  const prefix = "/model/keep_last";
  const length = makeGather(g, `${prefix}/length/Gather`, makeShape(g, `${prefix}/Shape`, hidden), g.int64([1], []));
  const nonZero = makeCast(g, `${prefix}/bool/Cast`, numLogitsToKeep, "bool");
  const isZero = makeWhere(g, `${prefix}/zero/Where`, nonZero, g.int64([0], []), g.int64([1], []));
  const keep = makeAdd(g, `${prefix}/keep/Add`, numLogitsToKeep, makeMul(g, `${prefix}/all/Mul`, isZero, length));
  const start = makeUnsqueeze(g, `${prefix}/start/Unsqueeze`, makeSub(g, `${prefix}/start/Sub`, length, keep), [0]);
  const end = makeUnsqueeze(g, `${prefix}/end/Unsqueeze`, length, [0]);
  return makeDynamicSlice(g, `${prefix}/Slice`, hidden, start, end, [1]);
}
