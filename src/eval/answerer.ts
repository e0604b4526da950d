/**
 * What the evaluation needs from generation: one answer per image and instruction. The runner depends on this
 * interface only; `generator-answerer.ts` implements it with the app's shared generation module.
 */
import type { Decoding } from "../tasks/prompts";

export interface AnswerRequest {
  imagePath: string;
  instruction: string;
  /** Add GeoZero's system prompt (its `--system True`). */
  useSystemPrompt: boolean;
}

export interface AnswerOptions {
  /** Seeds sampling; recorded with the sample. */
  seed: number;
  signal?: AbortSignal;
}

export interface Answer {
  /** Decoded without special tokens, as GeoZero's `batch_decode(..., skip_special_tokens=True)`. */
  text: string;
  tokens: number;
  /** Beam search: the winning hypothesis's length-penalised score (HF's `sequences_scores`). */
  score?: number | null;
  /** Anything the answerer wants recorded with the sample, e.g. that generation was stopped. */
  note?: string | null;
}

export interface AnswererInfo {
  model: string;
  dtype: string;
  device: string;
}

export interface Answerer {
  readonly info: AnswererInfo;
  answer(request: AnswerRequest, decoding: Decoding, options: AnswerOptions): Promise<Answer>;
  dispose(): Promise<void>;
}
