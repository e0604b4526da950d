import { createSHA256, type IHasher } from "hash-wasm";
import { FetchSourceError, fetchOrProblem } from "../io/source";
import type { ModelManifest, WantedFile } from "./manifest";
import { ModelFileError } from "./model-errors";
import { type LoadProgress, type StorageRefusal, TransferMeter } from "./progress";

/** The Cache API cache that holds verified model files. */
export const MODEL_CACHE = "geozero-models-v1";
const HASH_HEADER = "x-geozero-sha256";
/** Hash header of files from folders without a manifest: stored as downloaded, with nothing to verify against. */
const UNVERIFIED = "unverified";

/** Every file of a load, ready to hand over: bytes as Blobs (disk-backed when they come from the Cache API). */
export interface ModelFileSet {
  /** by absolute URL */
  blobs: Map<string, Blob>;
  downloadedBytes: number;
  cachedBytes: number;
  /** set when the browser refused to store the files: they were read from the network only, this once */
  notCached: StorageRefusal | null;
}

/** SHA-256 over bytes that arrive piece by piece, checked at the end against a manifest entry. */
export class Sha256Verifier {
  private received = 0;

  private constructor(
    private readonly hasher: IHasher,
    private readonly file: Pick<ModelManifest["files"][number], "path" | "bytes" | "sha256">,
  ) {}

  static async start(file: Pick<ModelManifest["files"][number], "path" | "bytes" | "sha256">) {
    const hasher = await createSHA256();
    hasher.init();
    return new Sha256Verifier(hasher, file);
  }

  update(bytes: Uint8Array): void {
    this.received += bytes.length;
    this.hasher.update(bytes);
  }

  /**
   * Throws a ModelFileError naming the file, with the expected and actual SHA-256 and sizes, when its bytes differ
   * from the manifest's: an edited file is a hash mismatch whatever its length.
   */
  finish(): void {
    const { path, bytes, sha256 } = this.file;
    const actual = this.hasher.digest("hex");
    if (actual === sha256 && this.received === bytes) return;
    throw new ModelFileError(path, {
      kind: "hash-mismatch",
      expectedSha256: sha256,
      actualSha256: actual,
      expectedBytes: bytes,
      actualBytes: this.received,
    });
  }
}

/** Hex SHA-256 of bytes. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const hasher = await createSHA256();
  hasher.init();
  hasher.update(bytes);
  return hasher.digest("hex");
}

/** Checks bytes against the manifest's entry, throwing with expected and actual hash. */
export async function verifyFile(file: ModelManifest["files"][number], bytes: Uint8Array): Promise<void> {
  const verifier = await Sha256Verifier.start(file);
  verifier.update(bytes);
  verifier.finish();
}

/**
 * A file's body as it arrives, counted for progress and, where the manifest gives a hash, verified on the way: the
 * stream errors at its end when the bytes differ, so whatever consumes it (a cache entry, a Blob) never completes
 * with bad bytes. `failure()` gives the verification error, which consumers report in their own words.
 */
async function verifiedBody(
  response: Response,
  file: WantedFile,
  onBytes: (received: number) => void,
): Promise<{ body: ReadableStream<Uint8Array>; failure: () => unknown }> {
  const verifier =
    file.sha256 !== undefined && file.bytes !== undefined
      ? await Sha256Verifier.start({ path: file.path, bytes: file.bytes, sha256: file.sha256 })
      : null;
  let received = 0;
  let failure: unknown = null;
  const check = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.length;
      verifier?.update(chunk);
      onBytes(received);
      controller.enqueue(chunk);
    },
    flush() {
      try {
        verifier?.finish();
      } catch (error) {
        failure = error;
        throw error;
      }
    },
  });
  return { body: (response.body as ReadableStream<Uint8Array>).pipeThrough(check), failure: () => failure };
}

/**
 * Fetches one file of a model folder through the app's one fetch ({@link fetchOrProblem}); its failures become a
 * {@link ModelFileError} naming the file. A 404 gives null where the file may be missing (`allowMissing`).
 */
export async function fetchModelFile(
  url: string,
  path: string,
  options: { allowMissing?: boolean; init?: RequestInit; fetchFn?: typeof fetch } = {},
): Promise<Response | null> {
  const { allowMissing = false, init = {}, fetchFn } = options;
  try {
    // The app's own host keeps its cookies (a folder behind a sign-in); other hosts get none, as with tiles.
    return await fetchOrProblem(url, { credentials: "same-origin", ...init }, fetchFn);
  } catch (error) {
    if (!(error instanceof FetchSourceError)) throw error;
    const { problem } = error;
    if (problem.kind === "http-status" && problem.status === 404 && allowMissing) return null;
    if (problem.kind === "http-status")
      throw new ModelFileError(path, { kind: "http-status", url, status: problem.status });
    if (problem.kind === "no-cors" || problem.kind === "unreachable")
      throw new ModelFileError(path, { kind: problem.kind, url });
    throw error;
  }
}

async function fetchFile(url: string, file: WantedFile, signal?: AbortSignal): Promise<Response | null> {
  const response = await fetchModelFile(url, file.path, { allowMissing: file.optional, init: { signal } });
  if (response && !response.body)
    throw new ModelFileError(file.path, { kind: "http-status", url, status: response.status });
  return response;
}

function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "QuotaExceededError";
}

/** Free bytes the browser reports for this site, or null where it does not say. */
async function availableStorage(): Promise<number | null> {
  const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
  if (estimate?.quota === undefined) return null;
  return Math.max(0, estimate.quota - (estimate.usage ?? 0));
}

/**
 * Downloads one file into the cache, streamed and verified on the way (no whole copy in memory; an interrupted or
 * corrupt download leaves no entry). Returns false when the browser refused to store it.
 */
async function downloadToCache(
  cache: Cache,
  url: string,
  file: WantedFile,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<boolean | null> {
  const response = await fetchFile(url, file, signal);
  if (!response) return null;
  const { body, failure } = await verifiedBody(response, file, onBytes);
  const headers: Record<string, string> = { [HASH_HEADER]: file.sha256 ?? UNVERIFIED };
  const length = response.headers.get("content-length");
  if (length) headers["content-length"] = length;
  try {
    await cache.put(url, new Response(body, { headers }));
    return true;
  } catch (error) {
    if (failure()) throw failure();
    signal?.throwIfAborted();
    if (isQuotaError(error)) return false;
    throw error;
  }
}

/** Downloads one file into a Blob only (the browser refused to keep files), verified on the way. */
async function downloadToBlob(
  url: string,
  file: WantedFile,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<Blob | null> {
  const response = await fetchFile(url, file, signal);
  if (!response) return null;
  const { body, failure } = await verifiedBody(response, file, onBytes);
  try {
    return await new Response(body).blob();
  } catch (error) {
    throw failure() ?? error;
  }
}

/**
 * Makes every file of a load available as a Blob, verified against the manifest: cached files are used as they are
 * (no request), others are downloaded with progress, hashed on the way and stored in the Cache API. When the browser
 * will not store them (too little quota, an ephemeral profile), the rest are read from the network into Blobs only,
 * and the result says so.
 */
export async function ensureModelFiles(
  baseUrl: string,
  files: WantedFile[],
  onProgress: (progress: LoadProgress) => void,
  signal?: AbortSignal,
): Promise<ModelFileSet> {
  const cache = await caches.open(MODEL_CACHE);
  // Zero when sizes are unknown (a folder without a manifest).
  const total = files.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
  const meter = new TransferMeter(total);
  const blobs = new Map<string, Blob>();
  const missing: WantedFile[] = [];
  let cachedBytes = 0;
  for (const file of files) {
    signal?.throwIfAborted();
    const url = new URL(file.path, baseUrl).href;
    const hit = await cache.match(url);
    if (hit && hit.headers.get(HASH_HEADER) === (file.sha256 ?? UNVERIFIED)) {
      const blob = await hit.blob();
      blobs.set(url, blob);
      cachedBytes += blob.size;
      onProgress({ status: "cached", file: file.path, loaded: cachedBytes, total });
    } else missing.push(file);
  }
  let stillToStore = missing.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
  const available = await availableStorage();
  let notCached: StorageRefusal | null =
    available !== null && stillToStore > available ? { neededBytes: stillToStore, availableBytes: available } : null;
  if (notCached) onProgress({ status: "not-cached", ...notCached });
  let downloadedBytes = 0;
  const storedNow: string[] = [];
  for (const file of missing) {
    signal?.throwIfAborted();
    const url = new URL(file.path, baseUrl).href;
    const before = cachedBytes + downloadedBytes;
    const onBytes = (n: number) =>
      onProgress({
        status: "download",
        file: file.path,
        fileLoaded: n,
        fileTotal: file.bytes ?? 0,
        loaded: before + n,
        total,
        ...meter.measure(before + n),
      });
    onProgress({ status: "request", file: file.path, loaded: before, total });
    let blob: Blob | null = null;
    if (!notCached) {
      const stored = await downloadToCache(cache, url, file, onBytes, signal);
      if (stored === null) continue;
      if (stored) {
        storedNow.push(url);
        blob = (await (await cache.match(url))?.blob()) ?? null;
      } else {
        notCached = { neededBytes: stillToStore, availableBytes: await availableStorage() };
        onProgress({ status: "not-cached", ...notCached });
      }
    }
    blob ??= await downloadToBlob(url, file, onBytes, signal);
    if (!blob) continue;
    blobs.set(url, blob);
    downloadedBytes += blob.size;
    stillToStore -= file.bytes ?? 0;
  }
  // A model that cannot be kept whole is fetched again next time: what this load stored would only hold quota.
  // Blobs already read from those entries stay readable.
  if (notCached) await Promise.all(storedNow.map((url) => cache.delete(url)));
  return { blobs, downloadedBytes, cachedBytes, notCached };
}

/** Removes every cached model file. */
export async function removeCachedModels(): Promise<void> {
  await caches.delete(MODEL_CACHE);
}
