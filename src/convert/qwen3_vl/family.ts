import type { ModelFamily } from "../family-types.ts";
import { buildCacheReorder, CACHE_REORDER } from "./cache-reorder.ts";
import { parseQwen3VLConfig } from "./config.ts";
import { buildDecoder } from "./decoder.ts";
import { buildEmbedTokens } from "./embed.ts";
import { buildVisionEncoder } from "./vision.ts";

/**
 * Qwen3-VL (GeoZero): vision_encoder, embed_tokens and decoder_model_merged with DeepStack packed in the embeds, and
 * the weightless kv_cache_reorder graph the app's decoding runs on the cache.
 */
export const qwen3VLFamily: ModelFamily = {
  modelType: "qwen3_vl",
  preprocessorDefaults: { processor_class: "Qwen3VLProcessor", image_processor_type: "Qwen2VLImageProcessor" },
  prepare(raw, options) {
    const config = parseQwen3VLConfig(raw);
    return [
      {
        name: "vision_encoder",
        part: "vision",
        build: (g, loader) => buildVisionEncoder(g, loader, config, options.visionAttention),
      },
      { name: "embed_tokens", part: "text", build: (g, loader) => buildEmbedTokens(g, loader, config) },
      {
        name: "decoder_model_merged",
        part: "text",
        build: (g, loader) => buildDecoder(g, loader, config, options.attention),
      },
      { name: CACHE_REORDER, part: "text", appOnly: true, build: async (g) => buildCacheReorder(g, config) },
    ];
  },
};
