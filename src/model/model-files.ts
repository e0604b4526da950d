import type { ModelManifest } from "./manifest";
import { type LoadProgress, TransferMeter } from "./progress";
import type { WantedFile } from "./sources";

/** The Cache API cache that holds verified model files. */
export const MODEL_CACHE = "geozero-models-v1";
const HASH_HEADER = "x-geozero-sha256";
/** Hash header of files from folders without a manifest: stored as downloaded, with nothing to verify against. */
const UNVERIFIED = "unverified";

/** A model file that is missing, corrupt or could not be stored: names the file and the fix. */
export class ModelFileError extends Error {
  override readonly name = "ModelFileError";
}

/** Hex SHA-256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Checks bytes against the manifest's entry, throwing with expected and actual hash. */
export async function verifyFile(file: ModelManifest["files"][number], bytes: Uint8Array): Promise<void> {
  if (bytes.length !== file.bytes) {
    throw new ModelFileError(
      `${file.path}: got ${bytes.length} bytes, the manifest says ${file.bytes}; the file is truncated. Convert or copy the model folder again.`,
    );
  }
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new ModelFileError(
      `${file.path} is corrupt: its SHA-256 is ${actual}, the manifest expects ${file.sha256}. Convert or copy the model folder again.`,
    );
  }
}

async function download(
  url: string,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
  optional = false,
): Promise<Uint8Array | null> {
  const response = await fetch(url, { signal });
  if (optional && response.status === 404) return null;
  if (!response.ok || !response.body) {
    throw new ModelFileError(`${url}: HTTP ${response.status}; the model folder on the server lacks this file.`);
  }
  const parts: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
    onBytes(received);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

async function store(cache: Cache, url: string, bytes: Uint8Array, sha256: string, totalBytes: number): Promise<void> {
  try {
    const headers = { "content-length": String(bytes.length), [HASH_HEADER]: sha256 };
    await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
  } catch (error) {
    if (error instanceof DOMException && error.name === "QuotaExceededError") {
      const { quota, usage } = (await navigator.storage?.estimate?.()) ?? {};
      throw new ModelFileError(
        `The browser's storage is full: the model needs ${totalBytes ? `${(totalBytes / 1e6).toFixed(0)} MB` : "an unknown amount (no manifest)"}, ` +
          `${(((quota ?? 0) - (usage ?? 0)) / 1e6).toFixed(0)} MB are free. Remove cached models (Model panel → Remove cached files) or clear this site's data.`,
      );
    }
    throw error;
  }
}

/**
 * Makes every file of a load available in the Cache API, verified against the manifest: cached files are used as
 * they are (no request), others are downloaded with progress, hashed and stored.
 */
export async function ensureModelFiles(
  baseUrl: string,
  files: WantedFile[],
  onProgress: (progress: LoadProgress) => void,
  signal?: AbortSignal,
): Promise<{ downloadedBytes: number; cachedBytes: number }> {
  const cache = await caches.open(MODEL_CACHE);
  // Zero when sizes are unknown (a folder without a manifest).
  const total = files.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
  const meter = new TransferMeter(total);
  let loaded = 0;
  let downloadedBytes = 0;
  for (const file of files) {
    signal?.throwIfAborted();
    const url = new URL(file.path, baseUrl).href;
    const hit = await cache.match(url);
    if (hit && hit.headers.get(HASH_HEADER) === (file.sha256 ?? UNVERIFIED)) {
      loaded += file.bytes ?? Number(hit.headers.get("content-length"));
      onProgress({ status: "cached", file: file.path, loaded, total });
      continue;
    }
    const before = loaded;
    const bytes = await download(
      url,
      (n) =>
        onProgress({
          status: "download",
          file: file.path,
          fileLoaded: n,
          fileTotal: file.bytes ?? 0,
          loaded: before + n,
          total,
          ...meter.measure(before + n),
        }),
      signal,
      file.optional,
    );
    if (!bytes) continue;
    if (file.sha256 !== undefined && file.bytes !== undefined) {
      onProgress({ status: "verify", file: file.path });
      await verifyFile({ path: file.path, bytes: file.bytes, sha256: file.sha256 }, bytes);
    }
    await store(cache, url, bytes, file.sha256 ?? UNVERIFIED, total);
    loaded += bytes.length;
    downloadedBytes += bytes.length;
  }
  return { downloadedBytes, cachedBytes: loaded - downloadedBytes };
}

/** Removes every cached model file. */
export async function removeCachedModels(): Promise<void> {
  await caches.delete(MODEL_CACHE);
}
