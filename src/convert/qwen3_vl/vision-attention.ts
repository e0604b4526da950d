import type { AttentionKind } from "../family-types.ts";
import type { GraphBuilder } from "../graph/builder.ts";
import { makeReshape, makeTranspose, makeUnsqueeze } from "../graph/ops.ts";
import { makeAttentionCore } from "./text.ts";

/** Per-head q, k (rotated) and v of a vision block, each [N, heads, head_dim]. */
export interface VisionHeads {
  q: string;
  k: string;
  v: string;
}

/**
 * Full attention among the patches of each frame; returns [N, heads·head_dim].
 *
 *   portable: q,k,v ─Transpose[heads,N,d]─ attention core (+ frame bias [N,N]) ─Transpose─Reshape─► out
 *   fused:    q,k,v ─Reshape[1,N,heads·d]─ MultiHeadAttention(attention_bias = frame bias [1,1,N,N]) ─Reshape─► out
 */
export function makeVisionAttention(
  g: GraphBuilder,
  prefix: string,
  heads: VisionHeads,
  shape: { numHeads: number; headDim: number },
  shared: { bias: string; attention: AttentionKind },
): string {
  const width = shape.numHeads * shape.headDim;
  if (shared.attention === "fused") {
    const flat = (x: string, name: string) =>
      makeReshape(g, `${prefix}/${name}/flat/Reshape`, x, g.int64([1, -1, width]));
    const bias = makeUnsqueeze(g, "/model/visual/frame_mask/batch/Unsqueeze", shared.bias, [0, 1]);
    const name = `${prefix}/MultiHeadAttention`;
    g.makeNode(
      "MultiHeadAttention",
      [flat(heads.q, "q"), flat(heads.k, "k"), flat(heads.v, "v"), "", "", bias],
      [`${name}/output_0`],
      name,
      { num_heads: shape.numHeads, scale: { float: 1 / Math.sqrt(shape.headDim) } },
      "com.microsoft",
    );
    return makeReshape(g, `${prefix}/merge/Reshape`, `${name}/output_0`, g.int64([-1, width]));
  }
  const toHeads = (x: string, name: string) => makeTranspose(g, `${prefix}/${name}/Transpose`, x, [1, 0, 2]);
  const attended = makeAttentionCore(
    g,
    prefix,
    { q: toHeads(heads.q, "q"), k: toHeads(heads.k, "k"), v: toHeads(heads.v, "v") },
    shared.bias,
    1 / Math.sqrt(shape.headDim),
    [0, 2, 1],
  );
  const merged = makeTranspose(g, `${prefix}/merge/Transpose`, attended, [1, 0, 2]);
  return makeReshape(g, `${prefix}/merge/Reshape`, merged, g.int64([-1, width]));
}
