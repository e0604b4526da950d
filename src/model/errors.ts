/**
 * Turns a failed load or generation into what the user needs: what went wrong in words, the facts that matter (the
 * file and its hashes), and the one-click recoveries that make sense. Pure, so it is tested in Node; the worker RPC
 * carries only an error's name and message, so classification works from those.
 */

/** The kinds of failure the app tells apart. */
export type ModelFailureKind =
  | "device-lost"
  | "out-of-memory"
  | "corrupt-file"
  | "missing-file"
  | "not-qwen3-vl"
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

/** Error name used for a folder whose config is not Qwen3-VL. */
export const UNSUPPORTED_MODEL = "UnsupportedModelError";

/** Largest to smallest weights; q4f16 is left out because it needs `shader-f16`, which the failing device may lack. */
const SHRINKING_DTYPES = ["fp32", "fp16", "q8", "q4"];

const DEVICE_LOST =
  /device (?:was |is |has been )?lost|lost the (?:gpu )?device|GPUDeviceLost|DEVICE_REMOVED|DEVICE_HUNG/i;
const OUT_OF_MEMORY =
  /out of memory|\bOOM\b|allocation failed|failed to allocate|could not allocate|cannot allocate|bad_alloc|exceeds the max buffer size|Maximum allowed buffer size/i;
const CORRUPT = /^(\S+) is corrupt: its SHA-256 is ([0-9a-f]{64}), the manifest expects ([0-9a-f]{64})/;
const TRUNCATED = /^(\S+): got \d+ bytes, the manifest says \d+/;
const MISSING = /HTTP 404|lacks this file|was not found locally|file was not found/i;
const STORAGE = /storage is full|QuotaExceeded/i;

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

/** Classifies an error from the model worker. */
export function classifyModelError(error: { name?: string; message: string }, context: FailureContext): ModelFailure {
  const detail = error.message;
  const base = { detail, actions: [] as RecoveryAction[] };
  if (DEVICE_LOST.test(detail)) {
    return {
      ...base,
      kind: "device-lost",
      summary:
        "The GPU device was lost (driver reset, another tab using the GPU, or too little GPU memory). Reload the model on WASM or at a smaller dtype; your crop, question and answers stay.",
      actions: reloads(context),
    };
  }
  if (OUT_OF_MEMORY.test(detail)) {
    const pixels = context.maxPixels ? ` (now ${context.maxPixels.toLocaleString("en")} px)` : "";
    const smaller = smallerDtype(context.dtype, context.availableDtypes);
    const dtypeHint = smaller ? `, or load the model at ${smaller} instead of ${context.dtype}` : "";
    return {
      ...base,
      kind: "out-of-memory",
      summary: `The model ran out of memory on ${context.device}. Lower Max pixels in the Ask panel${pixels}${dtypeHint}.`,
      actions: reloads(context),
    };
  }
  const corrupt = CORRUPT.exec(detail);
  if (corrupt) {
    const [, path, actual, expected] = corrupt;
    return {
      ...base,
      kind: "corrupt-file",
      summary: `${path} is corrupt: its SHA-256 differs from the manifest's. Convert or copy the model folder again.`,
      file: { path, expected, actual },
    };
  }
  const truncated = TRUNCATED.exec(detail);
  if (truncated) {
    return { ...base, kind: "corrupt-file", summary: `${truncated[1]} is truncated. Copy the model folder again.` };
  }
  if (error.name === UNSUPPORTED_MODEL) return { ...base, kind: "not-qwen3-vl", summary: detail };
  if (STORAGE.test(detail)) return { ...base, kind: "storage-full", summary: detail };
  if (MISSING.test(detail)) {
    return { ...base, kind: "missing-file", summary: `A model file is missing on the server: ${detail}` };
  }
  return { ...base, kind: "other", summary: detail };
}

/** Throws an {@link UNSUPPORTED_MODEL} error unless a config.json describes a Qwen3-VL model. */
export function assertQwen3VlConfig(config: unknown, where: string): void {
  const modelType = (config as { model_type?: unknown } | null)?.model_type;
  if (modelType === "qwen3_vl") return;
  const found = typeof modelType === "string" ? `a "${modelType}" model` : "no model_type";
  const error = new Error(
    `${where} holds ${found}; GeoZero Web runs Qwen3-VL (model_type "qwen3_vl") models only. Choose a GeoZero or Qwen3-VL folder converted with npm run convert.`,
  );
  error.name = UNSUPPORTED_MODEL;
  throw error;
}
