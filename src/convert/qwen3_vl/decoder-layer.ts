import type { AttentionKind } from "../family-types.ts";
import type { GraphBuilder } from "../graph/builder.ts";
import {
  makeAdd,
  makeConcat,
  makeMul,
  makeReshape,
  makeRmsNorm,
  makeRotaryEmbedding,
  makeSigmoid,
  makeSkipRmsNorm,
  makeTile,
  makeTranspose,
  makeUnsqueeze,
} from "../graph/ops.ts";
import type { WeightLoader } from "../graph/weights.ts";
import type { Qwen3VLConfig } from "./config.ts";
import { makeAttentionCore, makeRotary, type Rotary, type RotaryCache, rotaryWithHeadAxis } from "./text.ts";

type TextConfig = Qwen3VLConfig["text"];

/** Inputs every decoder layer shares. */
export interface LayerContext {
  attention: AttentionKind;
  /** The rotary angles: full cos/sin tables (portable), or RotaryEmbedding's caches (fused). */
  rotary: Rotary | RotaryCache;
  /** Additive causal/padding bias [B,1,S,T] (portable attention). */
  bias: string;
  /** int32 [B] = attended keys − 1, and int32 scalar T (GroupQueryAttention). */
  gqa?: { seqlensK: string; totalLength: string };
  pastKey: string;
  pastValue: string;
}

interface LayerNames {
  w: string;
  p: string;
}

/** q/k/v projection reshaped to heads [B,S,n,d], with the per-head RMS norm when `norm` is given. */
async function makeHeads(
  g: GraphBuilder,
  loader: WeightLoader,
  config: TextConfig,
  names: LayerNames,
  input: string,
  proj: { name: string; heads: number; norm?: string },
): Promise<string> {
  const { w, p } = names;
  const bias = `${w}.self_attn.${proj.name}.bias`; // present only when text_config.attention_bias is true
  const y = await loader.linear(
    g,
    `${p}/attn/${proj.name}`,
    input,
    `${w}.self_attn.${proj.name}.weight`,
    loader.has(bias) ? bias : undefined,
  );
  const shaped = makeReshape(g, `${p}/attn/${proj.name}/Reshape`, y, g.int64([0, 0, proj.heads, config.headDim]));
  if (!proj.norm) return shaped;
  const scale = await loader.tensor(g, `${w}.self_attn.${proj.norm}.weight`);
  return makeRmsNorm(g, `${p}/attn/${proj.norm}/SimplifiedLayerNorm`, shaped, scale, config.rmsNormEps);
}

/**
 * Attention from primitives; returns [B,S,heads·d] and the present cache.
 *
 *   q,k,v [B,S,n,d] ─Transpose─► [B,n,S,d] ─RoPE(q,k)─ k,v ─Concat(past)─► present ─Tile(groups)─┐
 *   q ─────────────────────────────────────────────────────────────────────────── attention core ─Transpose─Reshape─► out
 */
function makePortableAttention(
  g: GraphBuilder,
  config: TextConfig,
  p: string,
  qkv: { q: string; k: string; v: string },
  context: LayerContext,
) {
  const { numHeads, numKvHeads, headDim } = config;
  if ("positionIds" in context.rotary) throw new Error("Portable attention needs the full rotary tables.");
  const { cos, sin } = rotaryWithHeadAxis(g, context.rotary, 1);
  const toHeads = (x: string, name: string) => makeTranspose(g, `${p}/attn/${name}/Transpose`, x, [0, 2, 1, 3]);
  const q = makeRotary(g, `${p}/attn/q_rotary`, toHeads(qkv.q, "q_proj"), cos, sin, headDim);
  const k = makeRotary(g, `${p}/attn/k_rotary`, toHeads(qkv.k, "k_proj"), cos, sin, headDim);
  const presentKey = makeConcat(g, `${p}/attn/present_key/Concat`, [context.pastKey, k], 2);
  const presentValue = makeConcat(
    g,
    `${p}/attn/present_value/Concat`,
    [context.pastValue, toHeads(qkv.v, "v_proj")],
    2,
  );
  const repeat = (x: string, name: string) => {
    if (numHeads === numKvHeads) return x;
    const groups = numHeads / numKvHeads;
    const expanded = makeUnsqueeze(g, `${p}/attn/${name}/Unsqueeze`, x, [2]);
    const tiled = makeTile(g, `${p}/attn/${name}/Tile`, expanded, g.int64([1, 1, groups, 1, 1]));
    return makeReshape(g, `${p}/attn/${name}/Reshape`, tiled, g.int64([0, numHeads, -1, headDim]));
  };
  const keys = repeat(presentKey, "repeat_k");
  const values = repeat(presentValue, "repeat_v");
  const attended = makeAttentionCore(
    g,
    `${p}/attn`,
    { q, k: keys, v: values },
    context.bias,
    1 / Math.sqrt(headDim),
    [0, 1, 3, 2],
  );
  const merged = makeTranspose(g, `${p}/attn/merge/Transpose`, attended, [0, 2, 1, 3]);
  const output = makeReshape(g, `${p}/attn/merge/Reshape`, merged, g.int64([0, 0, numHeads * headDim]));
  return { output, presentKey, presentValue };
}

/**
 * Attention through GroupQueryAttention (com.microsoft); MRoPE is applied before it by RotaryEmbedding (one kernel
 * for q, one for k) with the step's own angles as its caches, since the attention op's rotary cannot take 3-row
 * positions.
 *
 *   q,k [B,S,n,d] ─Reshape[B,S,n·d]─RotaryEmbedding─┐
 *   v ─Reshape[B,S,n·d]─────────────────────────────┼─ GroupQueryAttention(past, seqlens_k, T) ─► out, present k/v
 */
function makeGqaAttention(
  g: GraphBuilder,
  config: TextConfig,
  p: string,
  qkv: { q: string; k: string; v: string },
  context: LayerContext,
) {
  const { numHeads, numKvHeads, headDim } = config;
  if (!context.gqa)
    throw new Error("GroupQueryAttention needs seqlens_k and total_sequence_length in the layer context.");
  const cache = context.rotary;
  if (!("positionIds" in cache)) throw new Error("Fused attention needs RotaryEmbedding's rotary caches.");
  const flat = (x: string, name: string, heads: number) =>
    makeReshape(g, `${p}/attn/${name}/flat/Reshape`, x, g.int64([0, 0, heads * headDim]));
  const q = makeRotaryEmbedding(g, `${p}/attn/q_rotary/RotaryEmbedding`, flat(qkv.q, "q", numHeads), cache, numHeads);
  const k = makeRotaryEmbedding(
    g,
    `${p}/attn/k_rotary/RotaryEmbedding`,
    flat(qkv.k, "k", numKvHeads),
    cache,
    numKvHeads,
  );
  const v = flat(qkv.v, "v", numKvHeads);
  const name = `${p}/attn/GroupQueryAttention`;
  const outputs = [`${name}/output_0`, `${name}/output_1`, `${name}/output_2`];
  g.makeNode(
    "GroupQueryAttention",
    [q, k, v, context.pastKey, context.pastValue, context.gqa.seqlensK, context.gqa.totalLength],
    outputs,
    name,
    { num_heads: numHeads, kv_num_heads: numKvHeads, scale: { float: 1 / Math.sqrt(headDim) }, do_rotary: 0 },
    "com.microsoft",
  );
  return { output: outputs[0], presentKey: outputs[1], presentValue: outputs[2] };
}

/** hidden + x, then its RMS norm: two kernels. */
function addThenNorm(
  g: GraphBuilder,
  names: { add: string; norm: string },
  hidden: string,
  x: string,
  norm: { scale: string; epsilon: number },
): { normed: string; sum: string } {
  const sum = makeAdd(g, names.add, hidden, x);
  return { normed: makeRmsNorm(g, names.norm, sum, norm.scale, norm.epsilon), sum };
}

/**
 * One decoder layer; returns the new hidden states and the present key/value.
 *
 *   h ─RMSNorm─► q_proj/k_proj (+q_norm/k_norm), v_proj ─► attention (portable | GQA) ─► o_proj ─Add(h)─► h'
 *   h' ─RMSNorm─► gate_proj ─SiLU─Mul(up_proj)─► down_proj ─(Add(h') by the caller)─► out
 *
 * `input.normed`, when given, is h already normed (by the previous layer's closing SkipSimplifiedLayerNormalization);
 * the layer's closing residual Add is left to the caller (`residual` + `update`), who may fold it into the next norm.
 */
export async function makeDecoderLayer(
  g: GraphBuilder,
  loader: WeightLoader,
  config: TextConfig,
  layer: number,
  input: { hidden: string; normed?: string },
  context: LayerContext,
): Promise<{ residual: string; update: string; presentKey: string; presentValue: string }> {
  const names = { w: `model.language_model.layers.${layer}`, p: `/model/layers.${layer}` };
  const { w, p } = names;
  const hidden = input.hidden;
  const normed =
    input.normed ??
    makeRmsNorm(
      g,
      `${p}/input_layernorm/SimplifiedLayerNorm`,
      hidden,
      await loader.tensor(g, `${w}.input_layernorm.weight`),
      config.rmsNormEps,
    );
  const qkv = {
    q: await makeHeads(g, loader, config, names, normed, { name: "q_proj", heads: config.numHeads, norm: "q_norm" }),
    k: await makeHeads(g, loader, config, names, normed, { name: "k_proj", heads: config.numKvHeads, norm: "k_norm" }),
    v: await makeHeads(g, loader, config, names, normed, { name: "v_proj", heads: config.numKvHeads }),
  };
  const attention =
    context.attention === "fused"
      ? makeGqaAttention(g, config, p, qkv, context)
      : makePortableAttention(g, config, p, qkv, context);
  const outBias = `${w}.self_attn.o_proj.bias`;
  const attnOut = await loader.linear(
    g,
    `${p}/attn/o_proj`,
    attention.output,
    `${w}.self_attn.o_proj.weight`,
    loader.has(outBias) ? outBias : undefined,
  );
  const postScale = await loader.tensor(g, `${w}.post_attention_layernorm.weight`);
  const post = `${p}/post_attention_layernorm`;
  // fused: the residual Add and the norm in one SkipSimplifiedLayerNormalization, which also returns the sum
  const { normed: normed2, sum: afterAttn } =
    context.attention === "fused"
      ? makeSkipRmsNorm(g, `${post}/SkipSimplifiedLayerNorm`, attnOut, hidden, postScale, config.rmsNormEps)
      : addThenNorm(g, { add: `${p}/attn/residual/Add`, norm: `${post}/SimplifiedLayerNorm` }, hidden, attnOut, {
          scale: postScale,
          epsilon: config.rmsNormEps,
        });
  const gate = await loader.linear(g, `${p}/mlp/gate_proj`, normed2, `${w}.mlp.gate_proj.weight`);
  const up = await loader.linear(g, `${p}/mlp/up_proj`, normed2, `${w}.mlp.up_proj.weight`);
  const silu = makeMul(g, `${p}/mlp/act_fn/Mul`, gate, makeSigmoid(g, `${p}/mlp/act_fn/Sigmoid`, gate));
  const gated = makeMul(g, `${p}/mlp/Mul`, silu, up);
  const down = await loader.linear(g, `${p}/mlp/down_proj`, gated, `${w}.mlp.down_proj.weight`);
  return {
    residual: afterAttn,
    update: down,
    presentKey: attention.presentKey,
    presentValue: attention.presentValue,
  };
}
