import type { AttentionKind } from "../family-types.ts";
import type { GraphBuilder } from "../graph/builder.ts";
import {
  makeAdd,
  makeCast,
  makeGather,
  makeReduceSum,
  makeRmsNorm,
  makeShape,
  makeSkipRmsNorm,
  makeSub,
} from "../graph/ops.ts";
import type { WeightLoader } from "../graph/weights.ts";
import type { Qwen3VLConfig } from "./config.ts";
import { makeDecoderLayer } from "./decoder-layer.ts";
import { makeCausalBias, makeEmbedBlock, makeKeepLast, makeMrope, makeMropeCache } from "./text.ts";

/** Width of the packed embeddings: the text hidden size times (1 + DeepStack levels). */
export function packedWidth(config: Qwen3VLConfig): number {
  return config.text.hiddenSize * (1 + config.vision.deepstackVisualIndexes.length);
}

/**
 * `decoder_model_merged`: packed inputs_embeds, attention_mask, 3-row position_ids, the KV cache and
 * num_logits_to_keep (int64 scalar; 0 keeps every position, n the last n, as transformers.js sets it) → logits and
 * present cache. DeepStack block k+1 of inputs_embeds is added after decoder layer k (text rows carry zeros).
 *
 *   inputs_embeds ─Slice(block 0)─► layer 0 ─Add(block 1)─► layer 1 ─Add(block 2)─► … ─► norm ─KeepLast─► lm_head
 */
export async function buildDecoder(
  g: GraphBuilder,
  loader: WeightLoader,
  config: Qwen3VLConfig,
  attention: AttentionKind = "portable",
): Promise<void> {
  const text = config.text;
  const packed = g.makeInput("inputs_embeds", "float32", ["batch_size", "sequence_length", packedWidth(config)]);
  const attentionMask = g.makeInput("attention_mask", "int64", ["batch_size", "total_sequence_length"]);
  const positionIds = g.makeInput("position_ids", "int64", [3, "batch_size", "sequence_length"]);
  const cacheShape = ["batch_size", text.numKvHeads, "past_sequence_length", text.headDim];
  const past = Array.from({ length: text.numLayers }, (_, i) => ({
    key: g.makeInput(`past_key_values.${i}.key`, g.floatType, cacheShape),
    value: g.makeInput(`past_key_values.${i}.value`, g.floatType, cacheShape),
  }));
  const numLogitsToKeep = g.makeInput("num_logits_to_keep", "int64", []);

  const embeds = g.floatType === "float32" ? packed : makeCast(g, "/model/inputs_embeds/Cast", packed, g.floatType);
  const rotary = attention === "portable" ? makeMrope(g, text, positionIds) : makeMropeCache(g, text, positionIds);
  const bias = attention === "portable" ? makeCausalBias(g, attentionMask, packed) : "";
  const gqa = attention === "fused" ? makeGqaLengths(g, attentionMask) : undefined;
  let input: { hidden: string; normed?: string } = { hidden: makeEmbedBlock(g, embeds, 0, text.hiddenSize) };
  const presentShape = ["batch_size", text.numKvHeads, "total_sequence_length", text.headDim];
  for (let layer = 0; layer < text.numLayers; layer++) {
    const out = await makeDecoderLayer(g, loader, text, layer, input, {
      attention,
      rotary,
      bias,
      gqa,
      pastKey: past[layer].key,
      pastValue: past[layer].value,
    });
    input = await closeLayer(g, loader, config, { layer, attention, embeds }, out);
    g.makeOutput(`present.${layer}.key`, out.presentKey, g.floatType, presentShape);
    g.makeOutput(`present.${layer}.value`, out.presentValue, g.floatType, presentShape);
  }
  const normed =
    input.normed ??
    makeRmsNorm(
      g,
      "/model/norm/SimplifiedLayerNorm",
      input.hidden,
      await loader.tensor(g, "model.language_model.norm.weight"),
      text.rmsNormEps,
    );
  const kept = makeKeepLast(g, normed, numLogitsToKeep);
  const headName = loader.has("lm_head.weight") ? "lm_head.weight" : "model.language_model.embed_tokens.weight";
  const logits = await loader.linear(g, "/lm_head", kept, headName);
  const logits32 = g.floatType === "float32" ? logits : makeCast(g, "/lm_head/Cast", logits, "float32");
  g.makeOutput("logits", logits32, "float32", ["batch_size", "logits_length", text.vocabSize]);
}

/**
 * A layer's closing residual Add, and the DeepStack Add after the first layers. Fused attention folds the residual
 * into the next norm (the next layer's input norm, or the final one) after the DeepStack layers:
 *
 *   update ─SkipSimplifiedLayerNormalization(residual, next norm's scale)─► normed, sum
 */
async function closeLayer(
  g: GraphBuilder,
  loader: WeightLoader,
  config: Qwen3VLConfig,
  at: { layer: number; attention: AttentionKind; embeds: string },
  out: { residual: string; update: string },
): Promise<{ hidden: string; normed?: string }> {
  const { layer, attention, embeds } = at;
  const text = config.text;
  const deepstackLevels = config.vision.deepstackVisualIndexes.length;
  if (attention === "fused" && layer >= deepstackLevels) {
    const next = layer + 1 < text.numLayers;
    const scale = await loader.tensor(
      g,
      next ? `model.language_model.layers.${layer + 1}.input_layernorm.weight` : "model.language_model.norm.weight",
    );
    const name = next ? `/model/layers.${layer + 1}/input_layernorm` : "/model/norm";
    const skip = makeSkipRmsNorm(
      g,
      `${name}/SkipSimplifiedLayerNorm`,
      out.update,
      out.residual,
      scale,
      text.rmsNormEps,
    );
    return { hidden: skip.sum, normed: skip.normed };
  }
  const p = `/model/layers.${layer}`;
  const hidden = makeAdd(g, `${p}/mlp/residual/Add`, out.residual, out.update);
  if (layer >= deepstackLevels) return { hidden };
  const visual = makeEmbedBlock(g, embeds, layer + 1, text.hiddenSize);
  return { hidden: makeAdd(g, `${p}/deepstack/Add`, hidden, visual) };
}

/**
 * GroupQueryAttention's lengths from the attention mask: seqlens_k = Σ mask − 1 per row, T = mask width (int32).
 *
 *   attention_mask ─ReduceSum(1)─Sub(1)─Cast(int32)─► seqlens_k;  Shape─Gather(1)─Cast(int32)─► total_sequence_length
 */
function makeGqaLengths(g: GraphBuilder, attentionMask: string): { seqlensK: string; totalLength: string } {
  const prefix = "/model/gqa_lengths";
  const sums = makeReduceSum(g, `${prefix}/ReduceSum`, attentionMask, [1], 0);
  const seqlensK = makeCast(
    g,
    `${prefix}/seqlens_k/Cast`,
    makeSub(g, `${prefix}/Sub`, sums, g.int64([1], [])),
    "int32",
  );
  const total = makeGather(
    g,
    `${prefix}/total/Gather`,
    makeShape(g, `${prefix}/Shape`, attentionMask),
    g.int64([1], []),
  );
  return { seqlensK, totalLength: makeCast(g, `${prefix}/total/Cast`, total, "int32") };
}
