import { describe, expect, it } from "vitest";
import { countGraphCost } from "../../src/convert/cost/count.ts";
import { decoderRunInputs } from "../../src/convert/cost/runs.ts";
import { plannedSessionGraph } from "../../src/convert/cost/session-graph.ts";
import type { AttentionKind } from "../../src/convert/family-types.ts";
import type { Checkpoint, TensorInfo } from "../../src/convert/safetensors/read.ts";
import { qwen3VLTensorShapes, syntheticConfig, TINY_SIZES } from "../convert/testing/synthetic.ts";

const S = TINY_SIZES; // hidden 64, 4 layers, 4 heads, 2 KV heads, head 32, MLP 128, vocab 1000, DeepStack 3 levels

function tensorList(): Pick<Checkpoint, "tensors"> {
  const tensors = new Map<string, TensorInfo>();
  for (const [name, shape] of qwen3VLTensorShapes(S))
    tensors.set(name, { name, dtype: "BF16", shape, shard: "none", offset: 0, byteLength: 0 });
  return { tensors };
}

/** A [N, K] weight as 4-bit blocks of 32: codes, a scale per block, half a byte of zero point per block. */
const q4 = (n: number, k: number, scaleBytes: number) =>
  n * (k / 32) * 16 + n * (k / 32) * scaleBytes + n * Math.ceil(k / 32 / 2);

/** One decoder layer's weights: 7 linear layers at 4 bits, 4 norm scales (input, post-attention, q, k). */
function layerWeights(scaleBytes: number, floatBytes: number): number {
  const q = S.heads * S.headDim;
  const kv = S.kvHeads * S.headDim;
  const linear =
    q4(q, S.textHidden, scaleBytes) + 2 * q4(kv, S.textHidden, scaleBytes) + q4(S.textHidden, q, scaleBytes);
  const mlp = 2 * q4(S.intermediate, S.textHidden, scaleBytes) + q4(S.textHidden, S.intermediate, scaleBytes);
  return linear + mlp + (2 * S.textHidden + 2 * S.headDim) * floatBytes;
}

/**
 * Dispatches of one decoder layer at one decoding step, by hand from decoder-layer.ts:
 * 4 RMS norms, 7 MatMulNBits, 2 residual Adds, SiLU (Sigmoid·x, fused by onnxruntime into one QuickGelu) and its
 * gating Mul; then
 *  fused: RotaryEmbedding for q and for k, GroupQueryAttention's 3 kernels (KV copy, QKᵀ·V, V reduce), and the
 *    attention's residual Add inside the post-attention norm (SkipSimplifiedLayerNormalization): one kernel less;
 *  portable: the rotary of q and of k (Split, Neg, Concat, 2 Mul, Add each), K and V concatenated to the past (2),
 *    repeated to the query heads (2 Tile), q and K transposed and the output transposed back (3 + 2 for K's two
 *    layouts), 2 MatMul, the scale Mul, the bias Add, Softmax, and in q4f16 the two Casts around Softmax (fp32).
 */
function layerDispatches(attention: AttentionKind, fp16: boolean): number {
  const common = 4 + 7 + 2 + 2;
  if (attention === "fused") return common + 2 + 3 - 1;
  return common + 2 * 6 + 2 + 2 + 5 + 2 + 1 + 1 + 1 + (fp16 ? 2 : 0);
}

describe("the cost counter on the tiny decoder (one decoding step after 10 tokens)", () => {
  const past = 10;
  const cases: [AttentionKind, "q4f16" | "q4"][] = [
    ["fused", "q4f16"],
    ["fused", "q4"],
    ["portable", "q4f16"],
    ["portable", "q4"],
  ];
  it.each(cases)("%s attention, %s: one layer by hand × the layers + the fixed parts", async (attention, dtype) => {
    const fp16 = dtype === "q4f16";
    const floatBytes = fp16 ? 2 : 4;
    const graph = await plannedSessionGraph(syntheticConfig(S), tensorList(), "decoder_model_merged", dtype, attention);
    const cost = countGraphCost(graph, decoderRunInputs(graph, 1, past));

    // fixed: the multimodal rotary angles (position × frequencies Mul, row-select Mul, ReduceSum, Cos, Sin; portable
    // concatenates the halves first), the embeddings' first block and the last position (2 Slice), the final norm and
    // lm_head, the fp16 Casts in q4f16 (inputs_embeds, cos and sin in, logits out), portable's causal bias (And,
    // Where); each DeepStack level's Slice and Add. The attention mask's integer sums and the rotary cache's
    // positions (shape arithmetic) run on the CPU.
    const rotaryTables = 2 + 1 + 2 + (attention === "portable" ? 1 : 0);
    const fixed = rotaryTables + 2 + 2 + (fp16 ? 4 : 0) + (attention === "portable" ? 2 : 0) + 2 * S.deepstack.length;
    // fused: each layer after the DeepStack ones hands its closing residual Add to the next norm (one kernel less)
    const folded = attention === "fused" ? S.textLayers - S.deepstack.length : 0;
    expect(cost.dispatches).toBe(S.textLayers * layerDispatches(attention, fp16) + fixed - folded);

    // weights: every layer's, the final norm, lm_head, and the rotary's inverse frequencies and 3-row selector (fp32)
    const rotary = (S.headDim / 2) * 4 + 3 * (S.headDim / 2) * 4;
    // portable: a scale scalar per layer, and the causal bias's two values (0 and the lowest float)
    const portable = attention === "portable" ? { layer: floatBytes, fixed: 2 * floatBytes } : { layer: 0, fixed: 0 };
    const fixedWeights = S.textHidden * floatBytes + q4(S.vocab, S.textHidden, floatBytes) + rotary + portable.fixed;
    expect(cost.weightBytes).toBe(
      S.textLayers * (layerWeights(floatBytes, floatBytes) + portable.layer) + fixedWeights,
    );

    // KV cache: K and V of `past` positions per layer in, `past + 1` out
    const perPosition = S.kvHeads * S.headDim * floatBytes; // one of K or V, one layer
    const pastBytes = perPosition * past;
    const present = perPosition * (past + 1);
    const repeated = present * (S.heads / S.kvHeads);
    expect(cost.kvCacheBytes).toBe(S.textLayers * 2 * pastBytes);
    if (attention === "fused") {
      // the copy reads the past and writes the present; attention reads the present
      expect(cost.kvReadBytes).toBe(S.textLayers * 2 * (pastBytes + present));
      expect(cost.kvWrittenBytes).toBe(S.textLayers * 2 * present);
    } else {
      // K and V: Concat reads the past, writes the present; Tile reads it, writes it repeated to the query heads;
      // MatMul reads that; K alone is transposed first (one more copy read and written)
      expect(cost.kvReadBytes).toBe(S.textLayers * (2 * (pastBytes + present + repeated) + repeated));
      expect(cost.kvWrittenBytes).toBe(S.textLayers * (2 * (present + repeated) + repeated));
    }
    // only the logits of the last position cross to the CPU (fp32)
    expect(cost.bytesToCpu).toBe(S.vocab * 4);
    // 2·K·N per linear layer and lm_head, attention's QKᵀ and PV over past + 1 keys
    const q = S.heads * S.headDim;
    const kv = S.kvHeads * S.headDim;
    const layerFlops = 2 * S.textHidden * (q + 2 * kv) + 2 * q * S.textHidden + 2 * 3 * S.textHidden * S.intermediate;
    const attentionFlops = 2 * 2 * q * (past + 1);
    expect(cost.matmulFlops).toBe(S.textLayers * (layerFlops + attentionFlops) + 2 * S.textHidden * S.vocab);
  });

  it("counts a decoding step's KV traffic growing with the context, its weights not", async () => {
    const graph = await plannedSessionGraph(syntheticConfig(S), tensorList(), "decoder_model_merged", "q4f16", "fused");
    const at = (context: number) => countGraphCost(graph, decoderRunInputs(graph, 1, context));
    expect(at(4000).weightBytes).toBe(at(1000).weightBytes);
    expect(at(4000).kvReadBytes - at(1000).kvReadBytes).toBe(3000 * S.textLayers * 2 * 2 * S.kvHeads * S.headDim * 2);
  });
});
