/** The parts of a Qwen3-VL `config.json` the graphs depend on. */
export interface Qwen3VLConfig {
  text: {
    hiddenSize: number;
    numLayers: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    intermediateSize: number;
    vocabSize: number;
    rmsNormEps: number;
    ropeTheta: number;
    mropeSection: number[];
    tieWordEmbeddings: boolean;
  };
  vision: {
    hiddenSize: number;
    depth: number;
    numHeads: number;
    intermediateSize: number;
    patchSize: number;
    temporalPatchSize: number;
    spatialMergeSize: number;
    outHiddenSize: number;
    numPositionEmbeddings: number;
    inChannels: number;
    hiddenAct: string;
    deepstackVisualIndexes: number[];
  };
}

type Json = Record<string, unknown>;

function numberField(source: Json, key: string, where: string, fallback?: number): number {
  const value = source[key] ?? fallback;
  if (typeof value !== "number")
    throw new Error(`config.json: ${where}.${key} is ${JSON.stringify(value)}; expected a number.`);
  return value;
}

/** Reads and checks a Qwen3-VL config; a different model_type fails, naming the one found. */
export function parseQwen3VLConfig(config: Json): Qwen3VLConfig {
  const text = config.text_config as Json | undefined;
  const vision = config.vision_config as Json | undefined;
  if (!text || !vision)
    throw new Error("config.json: text_config or vision_config is missing; expected a Qwen3-VL config.");
  const headDim = numberField(
    text,
    "head_dim",
    "text_config",
    numberField(text, "hidden_size", "text_config") / numberField(text, "num_attention_heads", "text_config"),
  );
  const rope = (text.rope_scaling ?? text.rope_parameters ?? {}) as Json;
  const mropeSection = (rope.mrope_section ?? [24, 20, 20]) as number[];
  if (mropeSection.reduce((a, b) => a + b, 0) !== headDim / 2) {
    throw new Error(
      `config.json: mrope_section ${JSON.stringify(mropeSection)} sums to ${mropeSection.reduce((a, b) => a + b, 0)}; expected head_dim / 2 = ${headDim / 2}.`,
    );
  }
  return {
    text: {
      hiddenSize: numberField(text, "hidden_size", "text_config"),
      numLayers: numberField(text, "num_hidden_layers", "text_config"),
      numHeads: numberField(text, "num_attention_heads", "text_config"),
      numKvHeads: numberField(text, "num_key_value_heads", "text_config"),
      headDim,
      intermediateSize: numberField(text, "intermediate_size", "text_config"),
      vocabSize: numberField(text, "vocab_size", "text_config"),
      rmsNormEps: numberField(text, "rms_norm_eps", "text_config", 1e-6),
      ropeTheta: numberField(text, "rope_theta", "text_config", (rope.rope_theta as number | undefined) ?? 5_000_000),
      mropeSection,
      tieWordEmbeddings: Boolean(config.tie_word_embeddings ?? text.tie_word_embeddings ?? false),
    },
    vision: {
      hiddenSize: numberField(vision, "hidden_size", "vision_config"),
      depth: numberField(vision, "depth", "vision_config"),
      numHeads: numberField(vision, "num_heads", "vision_config"),
      intermediateSize: numberField(vision, "intermediate_size", "vision_config"),
      patchSize: numberField(vision, "patch_size", "vision_config", 16),
      temporalPatchSize: numberField(vision, "temporal_patch_size", "vision_config", 2),
      spatialMergeSize: numberField(vision, "spatial_merge_size", "vision_config", 2),
      outHiddenSize: numberField(vision, "out_hidden_size", "vision_config"),
      numPositionEmbeddings: numberField(vision, "num_position_embeddings", "vision_config"),
      inChannels: numberField(vision, "in_channels", "vision_config", 3),
      hiddenAct: String(vision.hidden_act ?? "gelu_pytorch_tanh"),
      deepstackVisualIndexes: (vision.deepstack_visual_indexes ?? []) as number[],
    },
  };
}
