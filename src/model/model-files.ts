import { createSHA256, type IHasher } from "hash-wasm";
import { FetchSourceError, fetchOrProblem } from "../io/source";
import type { ModelManifest, WantedFile } from "./manifest";
import { ModelFileError } from "./model-errors";
import { type LoadProgress, type StorageRefusal, TransferMeter } from "./progress";
import { RemoteFile } from "./range-blob";

/** The Cache API cache that holds verified model files. */
export const MODEL_CACHE = "geozero-models-v1";
const HASH_HEADER = "x-geozero-sha256";
/**
 * Hash header of files from folders without a manifest, stored as downloaded with nothing to verify against: their
 * folder's version (hub commit, or config ETag) follows it, and a copy counts only for that version.
 */
const UNVERIFIED = "unverified";

/** What a cached copy of a file must carry in its hash header to stand for it. */
function cacheIdentity(file: WantedFile): string | null {
  if (file.sha256 !== undefined) return file.sha256;
  return file.version ? `${UNVERIFIED} ${file.version}` : null;
}

/** The cached copy of a file, when the cache holds the very version wanted (its hash, or its folder's version). */
export async function cachedCopy(cache: Cache, url: string, file: WantedFile): Promise<Response | null> {
  const hit = await cache.match(url);
  const identity = cacheIdentity(file);
  return hit && identity !== null && hit.headers.get(HASH_HEADER) === identity ? hit : null;
}

/** Every file of a load, ready to hand over: bytes as Blobs (disk-backed when they come from the Cache API). */
export interface ModelFileSet {
  /** by absolute URL */
  blobs: Map<string, Blob>;
  downloadedBytes: number;
  cachedBytes: number;
  /** set when the browser refused to store the files: they were read from the network only, this once */
  notCached: StorageRefusal | null;
  /** the large files of an uncached load, streamed by range as they are read (their hashes checked afterwards) */
  streamed: StreamedFile[];
}

/** A file an uncached load streams from its server. */
export interface StreamedFile {
  path: string;
  sha256?: string;
  remote: RemoteFile;
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
 * with bad bytes. A connection that drops mid-file is picked up where it broke, by a range request for the rest (the
 * same version: its ETag), never by downloading the file again from its first byte. `failure()` gives the
 * verification or network error, which consumers report in their own words; `received()` the bytes that came.
 */
export async function verifiedBody(
  url: string,
  response: Response,
  file: WantedFile,
  onBytes: (received: number) => void,
  signal?: AbortSignal,
): Promise<{ body: ReadableStream<Uint8Array>; failure: () => unknown; complete: () => boolean }> {
  const verifier =
    file.sha256 !== undefined && file.bytes !== undefined
      ? await Sha256Verifier.start({ path: file.path, bytes: file.bytes, sha256: file.sha256 })
      : null;
  let received = 0;
  let failure: unknown = null;
  let complete = false;
  const etag = response.headers.get("etag");
  let reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let retries = 0;
  const body = new ReadableStream<Uint8Array>({
    // Loops until it has a chunk or the end: a pull that settles with nothing enqueued leaves a reader that was
    // already waiting unanswered for good (the stream pulls again only when asked during the pull).
    async pull(controller) {
      for (;;) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            verifier?.finish();
            complete = true;
            controller.close();
            return;
          }
          retries = 0;
          received += value.length;
          verifier?.update(value);
          onBytes(received);
          controller.enqueue(value);
          return;
        } catch (error) {
          if (error instanceof ModelFileError || signal?.aborted || retries >= MAX_RESUMES) {
            failure = error;
            throw error;
          }
          retries++;
          await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** retries));
          reader = await continuation(url, received, etag, file, signal).catch((again: unknown) => {
            failure = again;
            throw again;
          });
        }
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { body, failure: () => failure, complete: () => complete };
}

/** Times a dropped download is picked up again before the load fails. */
const MAX_RESUMES = 5;

/**
 * The rest of a file from byte `from`, after its connection dropped; it must be the same version (its ETag). The ETag
 * is compared here rather than sent as `If-Range`: the hub's CORS preflight does not allow that header.
 */
async function continuation(
  url: string,
  from: number,
  etag: string | null,
  file: WantedFile,
  signal?: AbortSignal,
): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const response = await fetchModelFile(url, file.path, { init: { signal, headers: { range: `bytes=${from}-` } } });
  if (response?.status !== 206 || !response.body) {
    await response?.body?.cancel();
    throw new ModelFileError(file.path, { kind: "http-status", url, status: response?.status ?? 0 });
  }
  const now = response.headers.get("etag");
  if (etag && now && now !== etag) {
    await response.body.cancel();
    throw new ModelFileError(file.path, { kind: "changed", url, before: etag, after: now });
  }
  return response.body.getReader();
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
 * corrupt download leaves no entry). Says whether it was stored, refused by the browser's storage, or missing.
 */
async function downloadToCache(
  cache: Cache,
  url: string,
  file: WantedFile,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<"stored" | "refused" | "missing"> {
  const response = await fetchFile(url, file, signal);
  if (!response) return "missing";
  const { body, failure } = await verifiedBody(url, response, file, onBytes, signal);
  const headers: Record<string, string> = { [HASH_HEADER]: cacheIdentity(file) ?? UNVERIFIED };
  const length = response.headers.get("content-length");
  if (length && response.status === 200) headers["content-length"] = length;
  try {
    await cache.put(url, new Response(body, { headers }));
    return "stored";
  } catch (error) {
    if (failure()) throw failure();
    signal?.throwIfAborted();
    // The body neither failed nor was aborted: the browser's storage would not take it (quota, or a private window,
    // whose storage lives in memory and gives out long before its reported quota).
    if (isQuotaError(error) || error instanceof TypeError) return "refused";
    throw error;
  }
}

/** Downloads one (small) file into a Blob only (the browser refused to keep files), verified on the way. */
async function downloadToBlob(
  url: string,
  file: WantedFile,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<Blob | null> {
  const response = await fetchFile(url, file, signal);
  if (!response) return null;
  const { body, failure } = await verifiedBody(url, response, file, onBytes, signal);
  try {
    return await new Response(body).blob();
  } catch (error) {
    throw failure() ?? error;
  }
}

/** Files at least this large stream from the server by range when they cannot be kept; smaller ones are read whole. */
const STREAMED_FILE_BYTES = 32 * 1024 * 1024;

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
    const hit = await cachedCopy(cache, url, file);
    if (hit) {
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
  const storedNow: { url: string; file: WantedFile }[] = [];
  const streamed: StreamedFile[] = [];
  const stream = (url: string, file: WantedFile & { bytes: number }) => {
    let counted = 0;
    const remote = new RemoteFile(
      url,
      file.bytes,
      (input, init) => fetch(input, { ...init, signal }),
      (bytes) => {
        counted += bytes;
        downloadedBytes += bytes;
        const loaded = cachedBytes + downloadedBytes;
        onProgress({
          status: "download",
          file: file.path,
          fileLoaded: counted,
          fileTotal: file.bytes,
          loaded,
          total,
          ...meter.measure(loaded),
        });
      },
    );
    blobs.set(url, remote.blob());
    streamed.push({ path: file.path, sha256: file.sha256, remote });
  };
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
    if (!notCached) {
      const stored = await downloadToCache(cache, url, file, onBytes, signal);
      if (stored === "missing") continue;
      if (stored === "stored") {
        const blob = (await (await cache.match(url))?.blob()) as Blob;
        blobs.set(url, blob);
        storedNow.push({ url, file });
        downloadedBytes += blob.size;
        stillToStore -= file.bytes ?? 0;
        continue;
      }
      notCached = { neededBytes: stillToStore, availableBytes: await availableStorage() };
      onProgress({ status: "not-cached", ...notCached });
    }
    if (isStreamable(file)) {
      stream(url, file);
      continue;
    }
    const blob = await downloadToBlob(url, file, onBytes, signal);
    if (!blob) continue;
    blobs.set(url, blob);
    downloadedBytes += blob.size;
  }
  if (notCached) {
    // A model that cannot be kept whole is fetched again next time: what this load stored would only hold quota, and
    // in a private window memory. Its large files stream from the server like the rest; small ones stay read.
    for (const { url, file } of storedNow) {
      await cache.delete(url);
      if (isStreamable(file)) stream(url, file);
    }
  }
  return { blobs, downloadedBytes, cachedBytes, notCached, streamed };
}

/** Whether a file that cannot be kept is streamed by range rather than read whole into memory. */
function isStreamable(file: WantedFile): file is WantedFile & { bytes: number } {
  return file.bytes !== undefined && file.bytes >= STREAMED_FILE_BYTES;
}

/**
 * Checks the files that streamed from the server as ONNX Runtime read them against their SHA-256, once every piece
 * has been read (session creation): a corrupt file fails the load before the model answers anything. Returns the
 * paths that could not be checked (read out of order).
 */
export async function verifyStreamed(set: ModelFileSet): Promise<string[]> {
  const unchecked: string[] = [];
  for (const { path, sha256, remote } of set.streamed) {
    if (sha256 === undefined) continue;
    const actual = await remote.sha256();
    if (actual === null) unchecked.push(path);
    else if (actual !== sha256) {
      throw new ModelFileError(path, {
        kind: "hash-mismatch",
        expectedSha256: sha256,
        actualSha256: actual,
        expectedBytes: remote.size,
        actualBytes: remote.size,
      });
    }
  }
  return unchecked;
}

/** Removes every cached model file. */
export async function removeCachedModels(): Promise<void> {
  await caches.delete(MODEL_CACHE);
}
