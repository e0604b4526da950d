import type { GraphBuilder } from "../graph/builder.ts";
import { makeDynamicSlice, makeGather } from "../graph/ops.ts";
import type { Qwen3VLConfig } from "./config.ts";

/** File stem of the cache-reorder graph, written beside the decoder at each of its dtypes. */
export const CACHE_REORDER = "kv_cache_reorder";

/**
 * `kv_cache_reorder`: the decoder's KV cache with its rows picked by `rows` (beam search: each beam continues its
 * parent's cache) and cut to the first `length` positions (a follow-up question that shares the prompt's start),
 * run where the cache lives so that a GPU cache never crosses to the CPU. No weights.
 *
 *   past_key_values.{i}.{key,value} [B, heads, T, dim] ─Gather(rows, axis 0)─Slice(0…length, axis 2)─► present.{i}.…
 */
export function buildCacheReorder(g: GraphBuilder, config: Qwen3VLConfig): void {
  const text = config.text;
  const rows = g.makeInput("rows", "int64", ["new_batch_size"]);
  const length = g.makeInput("length", "int64", [1]);
  const pastShape = ["batch_size", text.numKvHeads, "past_sequence_length", text.headDim];
  const presentShape = ["new_batch_size", text.numKvHeads, "new_sequence_length", text.headDim];
  for (let layer = 0; layer < text.numLayers; layer++) {
    for (const part of ["key", "value"]) {
      const past = g.makeInput(`past_key_values.${layer}.${part}`, g.floatType, pastShape);
      const prefix = `/cache.${layer}.${part}`;
      const picked = makeGather(g, `${prefix}/Gather`, past, rows, 0);
      const cut = makeDynamicSlice(g, `${prefix}/Slice`, picked, g.int64([0]), length, [2]);
      g.makeOutput(`present.${layer}.${part}`, cut, g.floatType, presentShape);
    }
  }
}
