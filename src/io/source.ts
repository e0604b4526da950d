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
  | { kind: "short-read"; offset: number; length: number; got: number };

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
  }
}

/** Reads a URL with HTTP range requests; a server that ignores them is refused rather than downloaded whole. */
export class FetchSource implements ByteSource {
  private knownSize: number | undefined;
  constructor(
    readonly key: string,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  async size(signal?: AbortSignal): Promise<number> {
    if (this.knownSize !== undefined) return this.knownSize;
    const response = await this.request({ method: "HEAD", signal });
    const length = Number(response.headers.get("content-length"));
    if (!Number.isFinite(length) || response.headers.get("content-length") === null) {
      throw new FetchSourceError(this.key, { kind: "no-range-support", size: null });
    }
    this.knownSize = length;
    return length;
  }

  async getBytes(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const response = await this.request({ headers: { range: `bytes=${offset}-${offset + length - 1}` }, signal });
    if (response.status !== 206) {
      await response.body?.cancel();
      throw new FetchSourceError(this.key, { kind: "no-range-support", size: this.knownSize ?? null });
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    signal?.throwIfAborted();
    if (bytes.length !== length) {
      throw new FetchSourceError(this.key, { kind: "short-read", offset, length, got: bytes.length });
    }
    return bytes;
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
