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
  makeRmsNorm,
  makeShape,
  makeSigmoid,
  makeSin,
  makeSlice,
  makeSoftmax,
  makeSplit,
  makeSub,
  makeTile,
  makeTranspose,
  makeUnsqueeze,
  makeWhere,
} from "../graph/ops.ts";
import type { WeightLoader } from "../graph/weights.ts";
import type { Qwen3VLConfig } from "./config.ts";

type TextConfig = Qwen3VLConfig["text"];

/** Cos and sin of the rotary angles, [B, 1, S, head_dim], in the graph's float type. */
interface Rotary {
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
 *   ─Cos/Sin─Cast─Unsqueeze(1)─► cos, sin [B,1,S,d]
 */
export function makeMrope(g: GraphBuilder, config: TextConfig, positionIds: string): Rotary {
  const half = config.headDim / 2;
  const prefix = "/model/rotary_emb";
  const invFreq = g.makeInitializer(
    `${prefix}/inv_freq`,
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
    `${prefix}/mrope_selector`,
    "float32",
    [3, 1, 1, half],
    new Uint8Array(selector.buffer),
  );
  const positions = makeUnsqueeze(g, `${prefix}/Unsqueeze`, makeCast(g, `${prefix}/Cast`, positionIds, "float32"), [3]);
  const freqs = makeMul(g, `${prefix}/freqs/Mul`, positions, invFreq);
  const chosen = makeReduceSum(g, `${prefix}/ReduceSum`, makeMul(g, `${prefix}/select/Mul`, freqs, select), [0], 0);
  const emb = makeConcat(g, `${prefix}/Concat`, [chosen, chosen], -1);
  const toFloat = (x: string, op: string) =>
    g.floatType === "float32" ? x : makeCast(g, `${prefix}/${op}/Cast`, x, g.floatType);
  const cos = makeUnsqueeze(g, `${prefix}/cos/Unsqueeze`, toFloat(makeCos(g, `${prefix}/Cos`, emb), "cos"), [1]);
  const sin = makeUnsqueeze(g, `${prefix}/sin/Unsqueeze`, toFloat(makeSin(g, `${prefix}/Sin`, emb), "sin"), [1]);
  return { cos, sin };
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

/** Inputs every decoder layer shares. */
interface LayerContext {
  rotary: Rotary;
  bias: string;
  pastKey: string;
  pastValue: string;
}

/**
 * One decoder layer; returns the new hidden states and the present key/value.
 *
 *   h ─RMSNorm─► q_proj ─Reshape─q_norm─Transpose─RoPE─┐
 *               k_proj ─Reshape─k_norm─Transpose─RoPE─Concat(past_k)─► present.k ─Tile(GQA)─┤ attention ─► o_proj ─Add(h)─► h'
 *               v_proj ─Reshape────────Transpose──────Concat(past_v)─► present.v ─Tile(GQA)─┘
 *   h' ─RMSNorm─► gate_proj ─Sigmoid·─Mul(up_proj)─► down_proj ─Add(h')─► out
 */
export async function makeDecoderLayer(
  g: GraphBuilder,
  loader: WeightLoader,
  config: TextConfig,
  layer: number,
  hidden: string,
  context: LayerContext,
): Promise<{ hidden: string; presentKey: string; presentValue: string }> {
  const w = `model.language_model.layers.${layer}`;
  const p = `/model/layers.${layer}`;
  const { numHeads, numKvHeads, headDim, rmsNormEps } = config;
  const normed = makeRmsNorm(
    g,
    `${p}/input_layernorm/SimplifiedLayerNorm`,
    hidden,
    await loader.tensor(g, `${w}.input_layernorm.weight`),
    rmsNormEps,
  );
  const heads = async (proj: string, count: number, norm?: string) => {
    const y = await loader.linear(g, `${p}/attn/${proj}`, normed, `${w}.self_attn.${proj}.weight`);
    const shaped = makeReshape(g, `${p}/attn/${proj}/Reshape`, y, g.int64([0, 0, count, headDim]));
    const normedHeads = norm
      ? makeRmsNorm(
          g,
          `${p}/attn/${norm}/SimplifiedLayerNorm`,
          shaped,
          await loader.tensor(g, `${w}.self_attn.${norm}.weight`),
          rmsNormEps,
        )
      : shaped;
    return makeTranspose(g, `${p}/attn/${proj}/Transpose`, normedHeads, [0, 2, 1, 3]);
  };
  const { cos, sin } = context.rotary;
  const q = makeRotary(g, `${p}/attn/q_rotary`, await heads("q_proj", numHeads, "q_norm"), cos, sin, headDim);
  const k = makeRotary(g, `${p}/attn/k_rotary`, await heads("k_proj", numKvHeads, "k_norm"), cos, sin, headDim);
  const v = await heads("v_proj", numKvHeads);
  const presentKey = makeConcat(g, `${p}/attn/present_key/Concat`, [context.pastKey, k], 2);
  const presentValue = makeConcat(g, `${p}/attn/present_value/Concat`, [context.pastValue, v], 2);
  const repeat = (x: string, name: string) => {
    if (numHeads === numKvHeads) return x;
    const groups = numHeads / numKvHeads;
    const tiled = makeTile(
      g,
      `${p}/attn/${name}/Tile`,
      makeUnsqueeze(g, `${p}/attn/${name}/Unsqueeze`, x, [2]),
      g.int64([1, 1, groups, 1, 1]),
    );
    return makeReshape(g, `${p}/attn/${name}/Reshape`, tiled, g.int64([0, numHeads, -1, headDim]));
  };
  const attended = makeAttentionCore(
    g,
    `${p}/attn`,
    { q, k: repeat(presentKey, "repeat_k"), v: repeat(presentValue, "repeat_v") },
    context.bias,
    1 / Math.sqrt(headDim),
    [0, 1, 3, 2],
  );
  const merged = makeReshape(
    g,
    `${p}/attn/merge/Reshape`,
    makeTranspose(g, `${p}/attn/merge/Transpose`, attended, [0, 2, 1, 3]),
    g.int64([0, 0, numHeads * headDim]),
  );
  const attnOut = await loader.linear(g, `${p}/attn/o_proj`, merged, `${w}.self_attn.o_proj.weight`);
  const afterAttn = makeAdd(g, `${p}/attn/residual/Add`, hidden, attnOut);
  const normed2 = makeRmsNorm(
    g,
    `${p}/post_attention_layernorm/SimplifiedLayerNorm`,
    afterAttn,
    await loader.tensor(g, `${w}.post_attention_layernorm.weight`),
    rmsNormEps,
  );
  const gate = await loader.linear(g, `${p}/mlp/gate_proj`, normed2, `${w}.mlp.gate_proj.weight`);
  const up = await loader.linear(g, `${p}/mlp/up_proj`, normed2, `${w}.mlp.up_proj.weight`);
  const silu = makeMul(g, `${p}/mlp/act_fn/Mul`, gate, makeSigmoid(g, `${p}/mlp/act_fn/Sigmoid`, gate));
  const down = await loader.linear(
    g,
    `${p}/mlp/down_proj`,
    makeMul(g, `${p}/mlp/Mul`, silu, up),
    `${w}.mlp.down_proj.weight`,
  );
  return { hidden: makeAdd(g, `${p}/mlp/residual/Add`, afterAttn, down), presentKey, presentValue };
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
