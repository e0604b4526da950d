import type { GraphBuilder } from "../graph/builder.ts";
import { makeCast, makePad } from "../graph/ops.ts";
import type { WeightLoader } from "../graph/weights.ts";
import type { Qwen3VLConfig } from "./config.ts";
import { packedWidth } from "./decoder.ts";

/**
 * `embed_tokens`: input_ids → float32 inputs_embeds [B, S, H·(1+D)], the embedding in the first H columns and
 * zeros in the DeepStack columns (so image rows can be overwritten whole with packed vision features).
 *
 *   input_ids ─Gather | GatherBlockQuantized─►[Cast f32]─Pad(0, D·H on the last axis)─► inputs_embeds
 */
export async function buildEmbedTokens(g: GraphBuilder, loader: WeightLoader, config: Qwen3VLConfig): Promise<void> {
  const ids = g.makeInput("input_ids", "int64", ["batch_size", "sequence_length"]);
  const rows = await loader.embedding(g, "/model/embed_tokens", "model.language_model.embed_tokens.weight", ids);
  const rows32 = g.floatType === "float32" ? rows : makeCast(g, "/model/embed_tokens/Cast", rows, "float32");
  const extra = packedWidth(config) - config.text.hiddenSize;
  const padded = extra === 0 ? rows32 : makePad(g, "/model/embed_tokens/Pad", rows32, g.int64([0, 0, 0, 0, 0, extra]));
  g.makeOutput("inputs_embeds", padded, "float32", ["batch_size", "sequence_length", packedWidth(config)]);
}
