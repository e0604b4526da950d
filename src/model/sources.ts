/**
 * Where a model comes from: a folder in `model-cache/`, a Hugging Face model id, or any http(s) URL of a model
 * folder. A folder without a manifest is still loadable: its files are named from its config.json
 * (`transformers.js_config`), the way transformers.js names them, and their sizes are unknown until downloaded.
 */
import {
  CACHE_REORDER_GRAPH,
  DTYPE_SUFFIX,
  graphPath,
  type ModelManifest,
  SESSIONS,
  type SessionDtypes,
  uniformDtypes,
  type WantedFile,
} from "./manifest";
import { assertQwen3VlConfig, ModelFileError } from "./model-errors";
import { fetchModelFile } from "./model-files";

/** A model folder anywhere: transformers.js sees it as `root` + `folder`. */
export interface ModelLocation {
  /** What the user typed, or the folder id. */
  label: string;
  /** Absolute URL of the folder's parent, ending in "/". */
  root: string;
  /** The folder's last path segment. */
  folder: string;
}

const HF_ID = /^([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/;

/** Reads a Hugging Face model id (`owner/name`, optionally `@revision`) or an http(s) URL of a model folder. */
export function parseModelSource(input: string, hubHost = "https://huggingface.co"): ModelLocation {
  const text = input.trim();
  const hf = HF_ID.exec(text);
  if (hf && !text.includes("://")) {
    const revision = hf[2] ?? "main";
    return { label: text, root: `${hubHost}/${hf[1]}/resolve/`, folder: encodeURIComponent(revision) };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `"${text}" is neither a Hugging Face model id (owner/name) nor a URL; enter e.g. MiliLab/GeoZero-onnx or https://host/models/geozero/.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`${text}: only http(s) URLs can be loaded; got ${url.protocol}.`);
  }
  url.search = "";
  url.hash = "";
  const path = url.pathname.replace(/\/(manifest|config)\.json$/, "").replace(/\/+$/, "");
  const cut = path.lastIndexOf("/");
  const folder = path.slice(cut + 1);
  if (!folder) throw new Error(`${text}: the URL names no folder; give the folder that holds config.json.`);
  return { label: text, root: `${url.origin}${path.slice(0, cut + 1)}`, folder };
}

/** The folder's URL, ending in "/". */
export function folderUrl(location: Pick<ModelLocation, "root" | "folder">): string {
  return `${location.root}${location.folder}/`;
}

interface TransformersJsConfig {
  "transformers.js_config"?: { use_external_data_format?: boolean | number | Record<string, boolean | number> };
}

/** The dtypes a folder holds according to its config's external-data table (fp32 when it names none). */
export function dtypesFromConfig(config: TransformersJsConfig): string[] {
  const table = config["transformers.js_config"]?.use_external_data_format;
  if (!table || typeof table !== "object") return ["fp32"];
  const found = Object.entries(DTYPE_SUFFIX)
    .filter(([, suffix]) => SESSIONS.every((session) => `${session}${suffix}.onnx` in table))
    .map(([dtype]) => dtype);
  return found.length ? found : ["fp32"];
}

const CONFIG_FILES: WantedFile[] = [
  { path: "config.json" },
  { path: "preprocessor_config.json" },
  { path: "tokenizer.json" },
  { path: "tokenizer_config.json" },
  { path: "generation_config.json", optional: true },
  { path: "chat_template.json", optional: true },
  { path: "chat_template.jinja", optional: true },
  { path: "processor_config.json", optional: true },
];

/** The files transformers.js reads for a load of a folder without a manifest, named from its config. */
export function filesFromConfig(config: TransformersJsConfig, dtypes: SessionDtypes | string): WantedFile[] {
  const perSession = typeof dtypes === "string" ? uniformDtypes(dtypes) : dtypes;
  const table = config["transformers.js_config"]?.use_external_data_format;
  const graphs = SESSIONS.flatMap((session) => {
    const name = `${session}${DTYPE_SUFFIX[perSession[session]] ?? ""}.onnx`;
    const chunks = !table ? 0 : typeof table === "object" ? +(table[name] ?? table[session] ?? 0) : +table;
    const data = Array.from({ length: chunks }, (_, i) => ({ path: `onnx/${name}_data${i === 0 ? "" : `_${i}`}` }));
    return [{ path: `onnx/${name}` }, ...data];
  });
  const reorder = { path: graphPath(CACHE_REORDER_GRAPH, perSession.decoder_model_merged), optional: true };
  return [...CONFIG_FILES, ...graphs, reorder];
}

/** What a folder offers: its manifest if it has one, else its config (checked to be Qwen3-VL) and dtypes. */
export interface FolderDescription {
  manifest: ModelManifest | null;
  config: TransformersJsConfig | null;
  dtypes: string[];
  /**
   * Which version of the folder this is, for caching files that have no manifest hash: the hub's commit
   * (`X-Repo-Commit`, so `@main` refreshes when main moves), else the ETag of its config.json; null when the server
   * gives neither.
   */
  version: string | null;
}

/**
 * Fetches a folder's manifest (a 404 means the folder has none) and its config.json, and refuses folders whose config
 * is not Qwen3-VL: the manifest's own model type is checked too, but transformers.js builds the model from the config.
 */
export async function describeFolder(
  location: ModelLocation,
  fetchFn: typeof fetch = fetch,
  signal?: AbortSignal,
): Promise<FolderDescription> {
  const base = folderUrl(location);
  const read = (path: string, allowMissing: boolean) =>
    fetchModelFile(`${base}${path}`, path, { allowMissing, init: { signal, cache: "no-cache" }, fetchFn });
  const manifestResponse = await read("manifest.json", true);
  const manifest = manifestResponse ? ((await manifestResponse.json()) as ModelManifest) : null;
  if (manifest) assertQwen3VlConfig({ model_type: manifest.source?.modelType }, `${base}manifest.json`);
  const configResponse = await read("config.json", false).catch((error: unknown) => {
    // Neither file readable: more likely a wrong id or URL than a folder missing its config.
    if (manifest || !(error instanceof ModelFileError) || error.problem.kind !== "http-status") throw error;
    const configStatus = error.problem.status;
    throw new ModelFileError("config.json", {
      kind: "folder-unreadable",
      url: base,
      manifestStatus: 404,
      configStatus,
    });
  });
  const version = configResponse?.headers.get("x-repo-commit") ?? configResponse?.headers.get("etag") ?? null;
  const config = (await configResponse?.json()) as TransformersJsConfig;
  assertQwen3VlConfig(config, `${base}config.json`);
  return manifest
    ? { manifest, config, dtypes: manifest.dtypes, version }
    : { manifest: null, config, dtypes: dtypesFromConfig(config), version };
}
