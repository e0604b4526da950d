/**
 * A model file on its server as a Blob whose bytes are fetched by HTTP range only when a piece of it is read: what a
 * load hands ONNX Runtime when the browser will not keep the files (a private window, too little quota). Its JSPI
 * build reads external data initializer by initializer (`blob.slice(a, b).stream()`), so the weights go from the
 * network to the GPU piece by piece and the browser never holds the model whole (a downloaded Blob would be a second
 * copy in memory where storage is memory-backed, as in a private window).
 */
import { createSHA256, type IHasher } from "hash-wasm";
import { fetchOrProblem } from "../io/source";

/** One file on a server, read by range; its SHA-256 is computed from the pieces read in order. */
export class RemoteFile {
  private hasher: IHasher | null = null;
  private hashedUpTo = 0;
  /** whether a piece was read out of order (the hash can then only be finished by reading the rest again) */
  private outOfOrder = false;
  /** observations, one after another (each may read a gap) */
  private hashing: Promise<void> = Promise.resolve();

  constructor(
    readonly url: string,
    readonly size: number,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
    /** bytes of the pieces read for a reader (not those read only to finish the hash) */
    private readonly onBytes: (bytes: number) => void = () => {},
  ) {}

  /** The whole file as a range-backed Blob. */
  blob(): Blob {
    return new RangeBlob(this, 0, this.size);
  }

  /** Bytes [start, end) as they arrive. */
  stream(start: number, end: number): ReadableStream<Uint8Array> {
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    let offset = start;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (offset >= end) {
          controller.close();
          return;
        }
        reader ??= await this.open(offset, end);
        const { done, value } = await reader.read();
        if (done) {
          if (offset < end)
            throw new Error(`${this.url}: the server sent ${offset - start} of ${end - start} bytes asked.`);
          controller.close();
          return;
        }
        const at = offset;
        this.hashing = this.hashing.then(() => this.observe(at, value));
        await this.hashing;
        offset += value.byteLength;
        this.onBytes(value.byteLength);
        controller.enqueue(value);
      },
      cancel: (reason) => reader?.cancel(reason),
    });
  }

  /**
   * The file's SHA-256 from the pieces read; bytes never read (alignment padding, a tail) are fetched to finish it.
   * Null when pieces were read out of order: the hash would need the whole file again.
   */
  async sha256(): Promise<string | null> {
    await this.hashing;
    if (this.outOfOrder) return null;
    await this.hashRange(this.hashedUpTo, this.size);
    return (await this.hasherReady()).digest("hex");
  }

  /** Reads [start, end) and hashes it, in order (a gap, or the tail nobody read). */
  private async hashRange(start: number, end: number): Promise<void> {
    if (start >= end) return;
    const hasher = await this.hasherReady();
    const reader = await this.open(start, end);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hasher.update(value);
      this.hashedUpTo += value.byteLength;
    }
  }

  private async open(start: number, end: number): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    const response = await fetchOrProblem(this.url, { headers: { range: `bytes=${start}-${end - 1}` } }, this.fetchFn);
    if (response.status !== 206 && !(response.status === 200 && start === 0 && end === this.size)) {
      await response.body?.cancel();
      throw new Error(`${this.url}: the server does not answer range requests; it cannot stream the model.`);
    }
    return (response.body as ReadableStream<Uint8Array>).getReader();
  }

  private async observe(offset: number, bytes: Uint8Array): Promise<void> {
    if (this.outOfOrder) return;
    const end = offset + bytes.byteLength;
    if (end <= this.hashedUpTo) return;
    if (offset > this.hashedUpTo) {
      // A gap of padding between initializers is read now, so the hash goes on in order.
      if (offset - this.hashedUpTo > 64 * 1024) {
        this.outOfOrder = true;
        return;
      }
      await this.hashRange(this.hashedUpTo, offset);
    }
    const hasher = await this.hasherReady();
    hasher.update(bytes.subarray(this.hashedUpTo - offset));
    this.hashedUpTo = end;
  }

  private async hasherReady(): Promise<IHasher> {
    if (!this.hasher) {
      this.hasher = await createSHA256();
      this.hasher.init();
    }
    return this.hasher;
  }
}

/** A range of a RemoteFile as a Blob: slicing costs nothing, reading fetches the range. */
export class RangeBlob extends Blob {
  constructor(
    private readonly file: RemoteFile,
    private readonly start: number,
    private readonly end: number,
  ) {
    super([]);
  }

  override get size(): number {
    return this.end - this.start;
  }

  override slice(start = 0, end = this.size): Blob {
    const clamp = (value: number) => Math.min(this.size, Math.max(0, value < 0 ? this.size + value : value));
    const from = clamp(start);
    return new RangeBlob(this.file, this.start + from, this.start + Math.max(from, clamp(end)));
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.file.stream(this.start, this.end) as ReadableStream<Uint8Array<ArrayBuffer>>;
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return new Response(this.stream()).arrayBuffer();
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.arrayBuffer());
  }

  override text(): Promise<string> {
    return new Response(this.stream()).text();
  }
}
