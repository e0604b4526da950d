/**
 * The model's errors, one class per failure someone handles, each with the fields that describe it. They cross the
 * model worker's boundary as data (src/io/error-data.ts) and are re-created as these classes on the page, where
 * errors.ts turns them into what the user sees by type and fields.
 */
import { isAbortError, registerErrorType } from "../io/error-data";
import { formatBytes } from "./manifest";

/** What is wrong with one file of a model folder. */
export type ModelFileProblem =
  /** the server answered the request with a non-OK HTTP status (404: the file is missing) */
  | { kind: "http-status"; url: string; status: number }
  /** the bytes differ from the manifest's (an edited, corrupt or cut-off copy) */
  | {
      kind: "hash-mismatch";
      expectedSha256: string;
      actualSha256: string;
      expectedBytes: number;
      actualBytes: number;
    }
  /** neither the folder's manifest.json nor its config.json could be read */
  | { kind: "folder-unreadable"; url: string; manifestStatus: number; configStatus: number }
  /** the server cannot be reached (down, a wrong host or port, no network) */
  | { kind: "unreachable"; url: string }
  /** the server answered, but without a CORS header that lets this page read it */
  | { kind: "no-cors"; url: string };

/** A file of a model folder that could not be fetched or differs from its manifest. */
export class ModelFileError extends Error {
  override readonly name = "ModelFileError";
  constructor(
    /** the file's path in the folder */
    readonly file: string,
    readonly problem: ModelFileProblem,
  ) {
    super(modelFileMessage(file, problem));
  }
}

/** Names an HTTP status in words, for the few a model folder meets. */
export function httpStatusText(status: number): string {
  const known: Record<number, string> = {
    401: "unauthorised",
    403: "forbidden",
    404: "not found",
    410: "gone",
    429: "too many requests",
    500: "server error",
    502: "bad gateway",
    503: "service unavailable",
  };
  return known[status] ? `HTTP ${status}, ${known[status]}` : `HTTP ${status}`;
}

function modelFileMessage(file: string, problem: ModelFileProblem): string {
  switch (problem.kind) {
    case "http-status":
      return problem.status === 404
        ? `${problem.url}: HTTP 404; the model folder on the server lacks ${file}. Convert or copy the model folder again.`
        : `${problem.url}: the server refused ${file} (${httpStatusText(problem.status)}); check the server's permissions and logs, then load again.`;
    case "hash-mismatch": {
      const sizes =
        problem.actualBytes === problem.expectedBytes
          ? ""
          : ` (${problem.actualBytes} bytes, the manifest says ${problem.expectedBytes})`;
      return `${file} is corrupt: its SHA-256 is ${problem.actualSha256}, the manifest expects ${problem.expectedSha256}${sizes}. Convert or copy the model folder again.`;
    }
    case "folder-unreadable":
      return `${problem.url}: neither manifest.json (HTTP ${problem.manifestStatus}) nor config.json (HTTP ${problem.configStatus}) could be read; check the id or URL, and that the server allows cross-origin requests (CORS).`;
    case "unreachable":
      return `${problem.url}: the server cannot be reached, so ${file} cannot be read; check the URL, that the server is running, and the network.`;
    case "no-cors":
      return `${problem.url}: the server answered but does not let this page read ${file} (no CORS header). Have it send \`Access-Control-Allow-Origin: *\` (or this app's origin) for the model folder, or copy the folder into model-cache/ and serve it with the app.`;
  }
}

/** A folder whose config.json (or manifest) describes a model other than Qwen3-VL. */
export class UnsupportedModelError extends Error {
  override readonly name = "UnsupportedModelError";
  constructor(
    /** the file that says so */
    readonly where: string,
    /** its `model_type`, or null when it has none */
    readonly modelType: string | null,
  ) {
    const found = modelType === null ? "no model_type" : `a "${modelType}" model`;
    super(
      `${where} holds ${found}; GeoZero Web runs Qwen3-VL (model_type "qwen3_vl") models only. Choose a GeoZero or Qwen3-VL folder converted with npm run convert.`,
    );
  }
}

/** Throws an {@link UnsupportedModelError} unless a config.json describes a Qwen3-VL model. */
export function assertQwen3VlConfig(config: unknown, where: string): void {
  const modelType = (config as { model_type?: unknown } | null)?.model_type;
  if (modelType === "qwen3_vl") return;
  throw new UnsupportedModelError(where, typeof modelType === "string" ? modelType : null);
}

/**
 * A weight larger than one WebGPU buffer may be on this adapter (each initializer becomes one buffer; ONNX Runtime
 * splits bindings, not buffers): names the limit, its value, and the weight.
 */
export class GpuLimitError extends Error {
  override readonly name = "GpuLimitError";
  readonly limit = "maxBufferSize";
  constructor(
    readonly available: number,
    readonly needed: number,
    readonly tensor: string,
    readonly file: string,
  ) {
    super(
      `This GPU holds at most ${formatBytes(available)} in one buffer (its WebGPU maxBufferSize is ${available} bytes), but the model's largest weight, ${tensor} in ${file}, is ${formatBytes(needed)} (${needed} bytes). Load the model at a 4-bit dtype, whose weights are smaller, or on WASM.`,
    );
  }
}

/** The WebGPU device was lost during a load or run (driver reset, another tab, too little GPU memory). */
export class DeviceLostError extends Error {
  override readonly name = "DeviceLostError";
  constructor(
    /** GPUDeviceLostInfo's reason ("destroyed", "unknown") */
    readonly reason: string,
    /** the browser's or ONNX Runtime's own words */
    readonly detail: string,
    /** what it means for the work in flight */
    readonly consequence: string,
  ) {
    super(`The WebGPU device was lost (${reason}: ${detail || "no message"}); ${consequence}.`);
  }
}

/** The runtime could not allocate memory for the model or its activations. */
export class OutOfMemoryError extends Error {
  override readonly name = "OutOfMemoryError";
  constructor(
    readonly device: "webgpu" | "wasm",
    /** ONNX Runtime's own words */
    readonly detail: string,
  ) {
    super(`The model ran out of memory on ${device}: ${detail}`);
  }
}

/** Beam search asked to reorder a cache that the folder gives no graph to reorder. */
export class CacheReorderMissingError extends Error {
  override readonly name = "CacheReorderMissingError";
  constructor() {
    super(
      "This model folder has no kv_cache_reorder graph, which beam search (captioning) needs; convert the model again with npm run convert. Greedy and sampled answers work without it.",
    );
  }
}

/** Why the page ended the model worker. */
export type WorkerRestartReason =
  /** a model from another root (transformers.js memoises configs by folder name) */
  | "other-root"
  /** a recovery after a failure (a lost WebGPU device stays lost for the worker's life) */
  | "recovery";

/** A call to the model worker that was waiting or running when the page ended the worker: it has no answer. */
export class ModelWorkerRestartedError extends Error {
  override readonly name = "ModelWorkerRestartedError";
  constructor(readonly reason: WorkerRestartReason) {
    const why =
      reason === "other-root" ? "to load a model from another location" : "to reload the model after a failure";
    super(
      `The model worker was restarted ${why}, so the call in flight ended without an answer; ask again once the model is loaded.`,
    );
  }
}

// ONNX Runtime and the browsers report these only in words: read once, where they are caught in the worker.
const DEVICE_LOST_TEXT =
  /device (?:was |is |has been )?lost|lost the (?:gpu )?device|GPUDeviceLost|DEVICE_REMOVED|DEVICE_HUNG/i;
const OUT_OF_MEMORY_TEXT =
  /out of memory|\bOOM\b|allocation failed|failed to allocate|could not allocate|cannot allocate|bad_alloc|exceeds the max buffer size|Maximum allowed buffer size/i;

/**
 * Gives a runtime failure its type where it is caught (in the worker, or a Node tool): ONNX Runtime's and the
 * browser's errors for a lost device or exhausted memory carry nothing but their text. Typed errors pass unchanged.
 */
export function typedRuntimeError(error: unknown, device: "webgpu" | "wasm"): unknown {
  if (!(error instanceof Error) || MODEL_ERROR_TYPES.some(([, type]) => error instanceof type)) return error;
  if (isAbortError(error)) return error;
  if (DEVICE_LOST_TEXT.test(error.message)) return new DeviceLostError("unknown", error.message, "the run was cut off");
  if (OUT_OF_MEMORY_TEXT.test(error.message)) return new OutOfMemoryError(device, error.message);
  return error;
}

// Registered by their `name` in strings: a minified build renames the classes themselves.
const MODEL_ERROR_TYPES = [
  ["ModelFileError", ModelFileError],
  ["UnsupportedModelError", UnsupportedModelError],
  ["GpuLimitError", GpuLimitError],
  ["DeviceLostError", DeviceLostError],
  ["OutOfMemoryError", OutOfMemoryError],
  ["CacheReorderMissingError", CacheReorderMissingError],
  ["ModelWorkerRestartedError", ModelWorkerRestartedError],
] as const;

for (const [name, type] of MODEL_ERROR_TYPES) registerErrorType(name, type);
