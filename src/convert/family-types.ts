import type { GraphBuilder } from "./graph/builder.ts";
import type { WeightLoader } from "./graph/weights.ts";

/** Whether a session holds the vision tower (converted at `--vision-dtype`) or the text side (`--dtype`). */
export type SessionPart = "vision" | "text";

/** One ONNX session a family writes. */
export interface SessionSpec {
  /** transformers.js session name, also the .onnx file stem. */
  name: string;
  part: SessionPart;
  /** a graph the app runs itself rather than a transformers.js session: left out of `transformers.js_config` */
  appOnly?: boolean;
  build(g: GraphBuilder, loader: WeightLoader): Promise<void>;
}

/**
 * How attention is built: `portable` from MatMul/Softmax (every execution provider); `fused` with ONNX Runtime's
 * contrib ops, GroupQueryAttention in the decoder (batch 1 or right padding) and MultiHeadAttention in the vision
 * tower, which have fused kernels on WebGPU, CPU and WASM.
 */
export type AttentionKind = "portable" | "fused";

/** Build choices that are not dtypes: attention in the decoder and in the vision tower, chosen apart. */
export interface BuildOptions {
  attention: AttentionKind;
  visionAttention: AttentionKind;
}

/** A model family: reads its config and lists the sessions to build. */
export interface ModelFamily {
  modelType: string;
  /** preprocessor_config.json keys filled in when the snapshot lacks them (processor_class, image_processor_type). */
  preprocessorDefaults: Record<string, string>;
  /** Checks the config (throwing a sentence naming the bad field) and returns the sessions. */
  prepare(config: Record<string, unknown>, options: BuildOptions): SessionSpec[];
}
