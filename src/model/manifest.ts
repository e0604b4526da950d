/** The manifest the converter writes into every model folder (`manifest.json`). */
export interface ModelManifest {
  format: string;
  /** the snapshot converted: its folder's name and, from the hub cache, its repository, revision and subfolder */
  source: {
    folder: string;
    hub?: { id: string; revision: string; subfolder?: string };
    modelType: string;
    shards?: string[];
  };
  dtypes: string[];
  totalBytes: number;
  files: Array<{
    path: string;
    bytes: number;
    sha256: string;
    /** for a graph: its largest initializer, which WebGPU holds in one buffer */
    largestInitializer?: { name: string; bytes: number };
  }>;
  /** Set on generated demo models with random weights. */
  demo?: boolean;
  [key: string]: unknown;
}

/** A file a load needs; size and hash are unknown for folders without a manifest. */
export interface WantedFile {
  path: string;
  bytes?: number;
  sha256?: string;
  /** A 404 is no error (transformers.js treats the file as optional). */
  optional?: boolean;
  /**
   * For a folder without a manifest (nothing to hash against): the folder's version when it was read, its hub commit
   * or its config's ETag. A cached copy counts only for the same version; null: the server names none, so the file is
   * fetched again each load.
   */
  version?: string | null;
}

/** A model the app can load: its folder id and manifest (null for a remote folder without one). */
export interface ModelEntry {
  id: string;
  manifest: ModelManifest | null;
  /** For a model outside model-cache/ (a Hugging Face id or URL): where it is and the dtypes its config names. */
  remote?: { root: string; folder: string; dtypes: string[] };
  /** For a model built in this browser (the Model panel's Build): the bytes it keeps in the browser's storage. */
  built?: { bytes: number };
}

/** The dtypes a model entry offers. */
export function entryDtypes(entry: ModelEntry): string[] {
  return entry.manifest?.dtypes ?? entry.remote?.dtypes ?? [];
}

/** File-name suffix of each dtype, as transformers.js names session files. */
export const DTYPE_SUFFIX: Record<string, string> = {
  fp32: "",
  fp16: "_fp16",
  q4: "_q4",
  q4f16: "_q4f16",
  q8: "_quantized",
};

/** The three sessions of a Qwen3-VL folder. */
export const SESSIONS = ["vision_encoder", "embed_tokens", "decoder_model_merged"] as const;

/** A dtype per session. */
export type SessionDtypes = Record<(typeof SESSIONS)[number], string>;

/** The same dtype for every session. */
export function uniformDtypes(dtype: string): SessionDtypes {
  return { vision_encoder: dtype, embed_tokens: dtype, decoder_model_merged: dtype };
}

/** The weightless graph that gathers and cuts the decoder's KV cache, written at the decoder's dtype. */
export const CACHE_REORDER_GRAPH = "kv_cache_reorder";

/** `onnx/<stem><suffix>.onnx` for a dtype, or an error naming the known dtypes. */
export function graphPath(stem: string, dtype: string): string {
  const suffix = DTYPE_SUFFIX[dtype];
  if (suffix === undefined)
    throw new Error(`Unknown dtype "${dtype}". Should be one of: ${Object.keys(DTYPE_SUFFIX).join(", ")}.`);
  return `onnx/${stem}${suffix}.onnx`;
}

/**
 * The files a load needs: every non-ONNX file, each session's graph (at its dtype) with its external data, and the
 * cache-reorder graph at the decoder's dtype where the folder has one.
 */
export function filesForDtype(manifest: ModelManifest, dtypes: SessionDtypes | string): ModelManifest["files"] {
  const perSession = typeof dtypes === "string" ? uniformDtypes(dtypes) : dtypes;
  const wanted = new Set(SESSIONS.map((session) => graphPath(session, perSession[session])));
  wanted.add(graphPath(CACHE_REORDER_GRAPH, perSession.decoder_model_merged));
  return manifest.files.filter((file) => {
    if (!file.path.startsWith("onnx/")) return true;
    const graph = file.path.replace(/_data(_\d+)?$/, "");
    return wanted.has(graph);
  });
}

/** Bytes to download for a load. */
export function downloadBytes(manifest: ModelManifest, dtypes: SessionDtypes | string): number {
  return filesForDtype(manifest, dtypes).reduce((sum, file) => sum + file.bytes, 0);
}

/** "1.2 GB", "35 MB", "800 kB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}
