/**
 * What of a served model (model-cache/) this browser holds, read from the model worker's Cache API cache without a
 * request: which files its manifest lists are cached with the manifest's hash, so whether a load at given dtypes
 * needs the network. The model list uses it offline, and a load with the network off describes its folder from it.
 */
import { filesForDtype, type ModelEntry, type ModelManifest, type SessionDtypes } from "./manifest";
import { ModelFileError } from "./model-errors";
import { cachedCopy, MODEL_CACHE } from "./model-files";
import type { FolderDescription } from "./sources";

/** Which files of a served model the browser's cache holds, checked against the manifest's hashes. */
export interface CachedModelStatus {
  /** paths in the model folder, as the manifest names them */
  cachedPaths: string[];
}

/** Reads which files of the model whose folder is at `folderUrl` (ending in "/") are cached with their hash. */
export async function cachedModelStatus(manifest: ModelManifest, folderUrl: string): Promise<CachedModelStatus> {
  if (!(await caches.has(MODEL_CACHE))) return { cachedPaths: [] };
  const cache = await caches.open(MODEL_CACHE);
  const cachedPaths: string[] = [];
  for (const file of manifest.files) {
    if (await cachedCopy(cache, new URL(file.path, folderUrl).href, file)) cachedPaths.push(file.path);
  }
  return { cachedPaths };
}

/**
 * A served model's folder as a load reads it with the network off: the manifest the model list holds, and the config
 * from the browser's cache (checked against the manifest's hash). Throws a {@link ModelFileError} naming the config
 * when the cache lacks it: the folder cannot be read without the network.
 */
export async function describeCachedFolder(manifest: ModelManifest, folderUrl: string): Promise<FolderDescription> {
  const entry = manifest.files.find((file) => file.path === "config.json");
  const url = new URL("config.json", folderUrl).href;
  const cached =
    entry && (await caches.has(MODEL_CACHE)) ? await cachedCopy(await caches.open(MODEL_CACHE), url, entry) : null;
  if (!cached) throw new ModelFileError("config.json", { kind: "unreachable", url });
  return { manifest, config: await cached.json(), dtypes: manifest.dtypes, version: null };
}

/**
 * Whether a model loads without the network, for the model list: built models always; served models when every file
 * a load of `sessions` reads is cached; models from the internet never.
 * - `kept`: it loads offline
 * - `needs-network`: it does not; `missing` counts the files the cache lacks (all of them when it was never loaded,
 *   some when a download was cut off or the browser evicted them to free storage), `cachedDtypes` the dtypes it
 *   holds whole
 * - `unknown`: the cache has not been read yet
 */
export type OfflineAvailability =
  | { kind: "kept" }
  | { kind: "needs-network"; missing: { files: number; of: number } | null; cachedDtypes: string[] }
  | { kind: "unknown" };

/** Where `entry`, loaded at `sessions`, stands offline, given what the cache holds of it (undefined: not read yet). */
export function offlineAvailability(
  entry: ModelEntry,
  sessions: SessionDtypes | string,
  status: CachedModelStatus | undefined,
): OfflineAvailability {
  if (entry.built) return { kind: "kept" };
  if (entry.remote || !entry.manifest) return { kind: "needs-network", missing: null, cachedDtypes: [] };
  if (!status) return { kind: "unknown" };
  const { manifest } = entry;
  const cached = new Set(status.cachedPaths);
  const lacking = (wanted: SessionDtypes | string) =>
    filesForDtype(manifest, wanted).filter((f) => !cached.has(f.path));
  const missing = lacking(sessions);
  if (missing.length === 0) return { kind: "kept" };
  return {
    kind: "needs-network",
    missing: { files: missing.length, of: filesForDtype(manifest, sessions).length },
    cachedDtypes: manifest.dtypes.filter((dtype) => lacking(dtype).length === 0),
  };
}
