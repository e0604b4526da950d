import { registerErrorType } from "./error-data";

/**
 * One way to read bytes, whatever holds them: a file on disk (tools, Node), a File the user picked,
 * or a URL. Safetensors shards, PMTiles archives and GeoTIFF ranges all go through this interface. Model files are
 * not read by range but whole, streamed through a hash into the Cache API (src/model/model-files.ts); they and every
 * URL here are fetched by {@link fetchOrProblem}, so a failed request is one set of problems everywhere.
 */
export interface ByteSource {
  /** A stable key naming what is read (path or URL), used in error messages and caches. */
  readonly key: string;
  /** Total size in bytes. */
  size(signal?: AbortSignal): Promise<number>;
  /** Reads `length` bytes at `offset`; rejects with a message naming `key` when fewer are available. */
  getBytes(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
}

/** Reads from a Blob or File (the browser's file picker and drag-and-drop). */
export class BlobSource implements ByteSource {
  readonly key: string;
  constructor(
    private readonly blob: Blob,
    key?: string,
  ) {
    this.key = key ?? (blob instanceof File ? blob.name : "blob");
  }
  async size(): Promise<number> {
    return this.blob.size;
  }
  async getBytes(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    if (offset + length > this.blob.size) {
      throw new RangeError(
        `${this.key}: asked for bytes ${offset}..${offset + length} of a ${this.blob.size}-byte file; the file is truncated.`,
      );
    }
    const bytes = new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
    signal?.throwIfAborted();
    return bytes;
  }
}

/** Why a URL could not be read, as data: the UI and the callers switch on `kind`, never on the message. */
export type FetchProblem =
  | { kind: "http-status"; status: number }
  | { kind: "no-range-support"; size: number | null }
  | { kind: "no-cors" }
  | { kind: "unreachable" }
  | { kind: "short-read"; offset: number; length: number; got: number }
  | { kind: "no-size" };

/** A URL that could not be read; the message names the URL, the problem and the fix. */
export class FetchSourceError extends Error {
  override readonly name = "FetchSourceError";
  constructor(
    readonly url: string,
    readonly problem: FetchProblem,
  ) {
    super(fetchProblemText(url, problem));
  }
}

registerErrorType("FetchSourceError", FetchSourceError);

function fetchProblemText(url: string, problem: FetchProblem): string {
  switch (problem.kind) {
    case "http-status":
      return `${url}: the server answered HTTP ${problem.status}${problem.status === 404 ? " (not found); check the URL" : "; check the URL and that the file is public"}.`;
    case "no-range-support":
      return (
        `${url}: the server does not support HTTP range requests (it answered a Range request with the whole ` +
        `${problem.size === null ? "file" : `${problem.size}-byte file`}), so the app would have to download all of it. ` +
        "Serve the file from a server with byte serving (object storage such as S3 or GCS, nginx, Apache, `npx http-server`), or download it and open the file."
      );
    case "no-cors":
      return (
        `${url}: the server answered but does not allow this page to read it (no CORS header). Have it send ` +
        "`Access-Control-Allow-Origin: *` (or this app's origin) and `Access-Control-Allow-Headers: Range`, or download the file and open it."
      );
    case "unreachable":
      return `${url}: the server cannot be reached; check the URL and the network.`;
    case "short-read":
      return `${url}: got ${problem.got} of ${problem.length} bytes at ${problem.offset}; the file on the server is shorter than it says.`;
    case "no-size":
      return (
        `${url}: the server answers range requests but does not let this page read the file's size: its Content-Range ` +
        "header is not exposed (CORS) and a HEAD request is refused. Have it send `Access-Control-Expose-Headers: Content-Range`, or download the file and open it."
      );
  }
}

/** Bytes read by the first request to a URL, which also gives its size: a COG's header fits in them. */
export const FIRST_READ_BYTES = 64 * 1024;

/**
 * Reads a URL with HTTP range requests; a server that ignores them is refused rather than downloaded whole. The size
 * comes from the first range response's `Content-Range`, so a URL signed for GET only (an S3 or GCS presigned URL,
 * which answers a HEAD with 403) opens; a HEAD is sent only when the server does not expose that header to the page.
 */
export class FetchSource implements ByteSource {
  private first: Promise<{ size: number; bytes: Uint8Array }> | undefined;
  constructor(
    readonly key: string,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  async size(signal?: AbortSignal): Promise<number> {
    return (await this.firstRead(signal)).size;
  }

  async getBytes(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.first && offset + length <= FIRST_READ_BYTES) {
      const { bytes } = await this.firstRead(signal);
      if (offset + length <= bytes.length) return bytes.slice(offset, offset + length);
    }
    let read = await this.rangeRead(offset, length, signal);
    // A 206 shorter than asked for, in a file its Content-Range says is long enough, is a body lost on the way (seen
    // in Chromium on a first visit, while the service worker downloaded the same file whole to precache it): asked
    // again once, past the HTTP cache.
    if (read.bytes.length !== length && (read.total === null || read.total >= offset + length)) {
      read = await this.rangeRead(offset, length, signal, "no-store");
    }
    if (read.bytes.length !== length) {
      throw new FetchSourceError(this.key, { kind: "short-read", offset, length, got: read.bytes.length });
    }
    return read.bytes;
  }

  /** The first {@link FIRST_READ_BYTES} (fewer in a smaller file) and the file's size, read once. */
  private firstRead(signal?: AbortSignal): Promise<{ size: number; bytes: Uint8Array }> {
    if (!this.first) {
      this.first = this.readFirst(signal);
      this.first.catch(() => {
        this.first = undefined;
      });
    }
    return this.first;
  }

  private async readFirst(signal?: AbortSignal): Promise<{ size: number; bytes: Uint8Array }> {
    const { bytes, total } = await this.rangeRead(0, FIRST_READ_BYTES, signal);
    // Fewer bytes than asked for: the file ends there.
    const size = total ?? (bytes.length < FIRST_READ_BYTES ? bytes.length : await this.sizeByHead(signal));
    return { size, bytes };
  }

  /** One range request: its bytes, and the file's size when the response's `Content-Range` can be read. */
  private async rangeRead(
    offset: number,
    length: number,
    signal?: AbortSignal,
    cache?: RequestCache,
  ): Promise<{ bytes: Uint8Array; total: number | null }> {
    const range = `bytes=${offset}-${offset + length - 1}`;
    const response = await this.request({ headers: { range }, signal, ...(cache ? { cache } : {}) });
    if (response.status !== 206) {
      await response.body?.cancel();
      const whole = response.headers.get("content-length");
      throw new FetchSourceError(this.key, { kind: "no-range-support", size: whole === null ? null : Number(whole) });
    }
    const total = Number(/\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "")?.[1] ?? Number.NaN);
    const bytes = new Uint8Array(await response.arrayBuffer());
    signal?.throwIfAborted();
    return { bytes, total: Number.isFinite(total) ? total : null };
  }

  /** The size from a HEAD request, for a server that answers ranges without exposing `Content-Range`. */
  private async sizeByHead(signal?: AbortSignal): Promise<number> {
    const response = await this.request({ method: "HEAD", signal }).catch((error: unknown) => {
      if (error instanceof FetchSourceError && error.problem.kind === "http-status") {
        throw new FetchSourceError(this.key, { kind: "no-size" });
      }
      throw error;
    });
    const length = response.headers.get("content-length");
    if (length === null || !Number.isFinite(Number(length))) throw new FetchSourceError(this.key, { kind: "no-size" });
    return Number(length);
  }

  private request(init: RequestInit): Promise<Response> {
    return fetchOrProblem(this.key, init, this.fetchFn);
  }
}

/**
 * Fetches a URL across origins (without credentials, unless `init` asks otherwise); a response that is not OK and a
 * failed fetch become a {@link FetchSourceError} with the problem as data. A network failure is told apart from a
 * missing CORS header by a no-cors probe.
 */
export async function fetchOrProblem(
  url: string,
  init: RequestInit,
  fetchFn: typeof fetch = (...args) => fetch(...args),
): Promise<Response> {
  let response: Response;
  try {
    response = await fetchFn(url, { mode: "cors", credentials: "omit", ...init });
  } catch {
    init.signal?.throwIfAborted();
    const reachable = await fetchFn(url, { method: "HEAD", mode: "no-cors", signal: init.signal }).then(
      () => true,
      () => false,
    );
    init.signal?.throwIfAborted();
    throw new FetchSourceError(url, { kind: reachable ? "no-cors" : "unreachable" });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new FetchSourceError(url, { kind: "http-status", status: response.status });
  }
  return response;
}
