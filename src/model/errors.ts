/**
 * Turns a failed load or generation into what the user needs: what went wrong in words, the facts that matter (the
 * file and its hashes, the HTTP status, the GPU limit), and the one-click recoveries that make sense. It switches on
 * the error's type and fields (model-errors.ts), which cross the worker boundary as data; never on its text.
 */

import { errorMessage } from "../io/error-data";
import {
  CacheReorderMissingError,
  DeviceLostError,
  GpuLimitError,
  httpStatusText,
  ModelFileError,
  OutOfMemoryError,
  UnsupportedModelError,
} from "./model-errors";

/** The kinds of failure the app tells apart. */
export type ModelFailureKind =
  | "device-lost"
  | "out-of-memory"
  | "gpu-limit"
  | "corrupt-file"
  | "missing-file"
  | "http-error"
  | "unreachable"
  | "not-qwen3-vl"
  | "outdated-folder"
  | "storage-full"
  | "other";

/** A recovery the UI offers as a button. */
export type RecoveryAction = { kind: "reload-wasm" } | { kind: "reload-dtype"; dtype: string };

/** A failure, ready to show. */
export interface ModelFailure {
  kind: ModelFailureKind;
  /** One line saying what happened and what to do. */
  summary: string;
  /** The original error text. */
  detail: string;
  /** For a corrupt file: its path and expected and actual SHA-256. */
  file?: { path: string; expected: string; actual: string };
  /** For a refused request: the HTTP status. */
  httpStatus?: number;
  actions: RecoveryAction[];
}

/** Where the model ran when it failed. */
export interface FailureContext {
  device: "webgpu" | "wasm";
  dtype: string;
  /** Dtypes the model folder holds. */
  availableDtypes: string[];
  /** The pixel budget's maximum, to say what to lower. */
  maxPixels?: number;
}

/** Largest to smallest weights; q4f16 is left out because it needs `shader-f16`, which the failing device may lack. */
const SHRINKING_DTYPES = ["fp32", "fp16", "q8", "q4"];

/** The next smaller dtype the folder holds, if any. */
export function smallerDtype(dtype: string, available: string[]): string | null {
  const at = SHRINKING_DTYPES.indexOf(dtype);
  if (at < 0) return null;
  return SHRINKING_DTYPES.slice(at + 1).find((d) => available.includes(d)) ?? null;
}

function reloads(context: FailureContext): RecoveryAction[] {
  const actions: RecoveryAction[] = [];
  if (context.device === "webgpu") actions.push({ kind: "reload-wasm" });
  const smaller = smallerDtype(context.dtype, context.availableDtypes);
  if (smaller) actions.push({ kind: "reload-dtype", dtype: smaller });
  return actions;
}

/** Describes an error from the model worker (or any model code) by its type and fields. */
export function describeModelFailure(error: unknown, context: FailureContext): ModelFailure {
  const detail = errorMessage(error);
  const base = { detail, actions: [] as RecoveryAction[] };
  if (error instanceof DeviceLostError) {
    return {
      ...base,
      kind: "device-lost",
      summary:
        "The GPU device was lost (driver reset, another tab using the GPU, or too little GPU memory). Reload the model on WASM or at a smaller dtype; your crop, question and answers stay.",
      actions: reloads(context),
    };
  }
  if (error instanceof OutOfMemoryError) return outOfMemory(error, context, base);
  if (error instanceof GpuLimitError) return { ...base, kind: "gpu-limit", summary: detail, actions: reloads(context) };
  if (error instanceof ModelFileError) return fileFailure(error, base);
  if (error instanceof UnsupportedModelError) return { ...base, kind: "not-qwen3-vl", summary: detail };
  if (error instanceof CacheReorderMissingError) return { ...base, kind: "outdated-folder", summary: detail };
  if (error instanceof DOMException && error.name === "QuotaExceededError") {
    const summary = `The browser's storage for this site is full (${detail}); free disk space or remove cached models, then load again.`;
    return { ...base, kind: "storage-full", summary };
  }
  return { ...base, kind: "other", summary: detail };
}

function outOfMemory(error: OutOfMemoryError, context: FailureContext, base: Omit<ModelFailure, "kind" | "summary">) {
  const pixels = context.maxPixels ? ` (now ${context.maxPixels.toLocaleString("en")} px)` : "";
  const smaller = smallerDtype(context.dtype, context.availableDtypes);
  const dtypeHint = smaller ? `, or load the model at ${smaller} instead of ${context.dtype}` : "";
  return {
    ...base,
    kind: "out-of-memory" as const,
    summary: `The model ran out of memory on ${error.device}. Lower Max pixels in the Ask panel${pixels}${dtypeHint}.`,
    actions: reloads(context),
  };
}

function fileFailure(error: ModelFileError, base: Omit<ModelFailure, "kind" | "summary">): ModelFailure {
  const { file, problem } = error;
  switch (problem.kind) {
    case "hash-mismatch":
      return {
        ...base,
        kind: "corrupt-file",
        summary: `${file} is corrupt: its SHA-256 differs from the manifest's${problem.actualBytes < problem.expectedBytes ? ` and it is ${problem.actualBytes} of ${problem.expectedBytes} bytes long` : ""}. Convert or copy the model folder again.`,
        file: { path: file, expected: problem.expectedSha256, actual: problem.actualSha256 },
      };
    case "http-status":
      if (problem.status === 404) {
        const summary = `A model file is missing on the server: ${file} (${problem.url}, HTTP 404). Convert or copy the model folder again.`;
        return { ...base, kind: "missing-file", summary, httpStatus: 404 };
      }
      return {
        ...base,
        kind: "http-error",
        summary: `The server refused ${file} with ${httpStatusText(problem.status)} (${problem.url}); check the server's permissions and logs, then load again.`,
        httpStatus: problem.status,
      };
    case "folder-unreadable":
      return { ...base, kind: "missing-file", summary: error.message };
    case "changed":
      return { ...base, kind: "other", summary: error.message };
    case "unreachable":
    case "no-cors":
      return { ...base, kind: "unreachable", summary: error.message };
  }
}
