/**
 * One way to read bytes, whatever holds them: a file on disk (tools, Node), a File the user picked,
 * or a URL. Safetensors shards, PMTiles archives and GeoTIFF ranges all go through this interface.
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

/** Reads a URL with HTTP range requests. */
export class FetchSource implements ByteSource {
  private knownSize: number | undefined;
  constructor(
    readonly key: string,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async size(signal?: AbortSignal): Promise<number> {
    if (this.knownSize !== undefined) return this.knownSize;
    const response = await this.fetchFn(this.key, { method: "HEAD", signal });
    const length = Number(response.headers.get("content-length"));
    if (!response.ok || !Number.isFinite(length)) {
      throw new Error(
        `${this.key}: HEAD answered ${response.status} with no content-length; check that the server serves this file.`,
      );
    }
    this.knownSize = length;
    return length;
  }

  async getBytes(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const response = await this.fetchFn(this.key, {
      headers: { range: `bytes=${offset}-${offset + length - 1}` },
      signal,
    });
    if (!response.ok)
      throw new Error(`${this.key}: HTTP ${response.status} ${response.statusText} for bytes ${offset}+${length}.`);
    const all = new Uint8Array(await response.arrayBuffer());
    signal?.throwIfAborted();
    // A server that ignores Range answers 200 with the whole body.
    const bytes = response.status === 206 ? all : all.subarray(offset, offset + length);
    if (bytes.length !== length) {
      throw new RangeError(
        `${this.key}: got ${bytes.length} of ${length} bytes at ${offset}; check that the server supports HTTP range requests and the file is whole.`,
      );
    }
    return bytes;
  }
}
