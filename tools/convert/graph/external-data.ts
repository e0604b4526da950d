import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Where one initializer's bytes were written. */
export interface ExternalLocation {
  /** Bare chunk file name, as ONNX Runtime and transformers.js resolve it beside the .onnx file. */
  location: string;
  offset: number;
  length: number;
}

/** A file the converter wrote, as listed in the manifest. */
export interface WrittenFile {
  /** Path relative to the model folder (bare chunk name for external data, until placed under onnx/). */
  name: string;
  bytes: number;
  sha256: string;
  /** for a graph: its largest initializer (one GPU buffer on WebGPU) */
  largestInitializer?: { name: string; bytes: number };
}

/** The default chunk limit: under 2 GB so a browser can hold each chunk in one ArrayBuffer. */
export const DEFAULT_CHUNK_BYTES = 2_000_000_000;

const ALIGNMENT = 64;

/**
 * Writes initializers to `<model>.onnx_data`, `<model>.onnx_data_1`, … as they are made (transformers.js naming),
 * starting a new chunk whenever the next tensor would pass `maxChunkBytes`. Only offsets stay in memory.
 */
export class ExternalDataWriter {
  private chunkIndex = -1;
  private fd: number | undefined;
  /** whether a chunk has been started (planning opens no files) */
  private opened = false;
  private position = 0;
  private readonly chunkNames: string[] = [];
  private readonly hashes: Hash[] = [];
  private readonly sizes: number[] = [];
  private closed: WrittenFile[] | undefined;
  private pending = 0;
  /** Bytes written over all chunks (padding included). */
  bytesWritten = 0;

  /**
   * @param dir where the chunks go; null plans only: offsets and chunk sizes are counted as if written (a dry run's
   *   planned sizes), nothing is written or hashed
   */
  constructor(
    private readonly dir: string | null,
    private readonly modelFileName: string,
    private readonly maxChunkBytes = DEFAULT_CHUNK_BYTES,
  ) {}

  /** Appends one tensor's bytes and returns where they went. */
  write(bytes: Uint8Array): ExternalLocation {
    const location = this.begin(bytes.byteLength);
    this.append(bytes);
    return location;
  }

  /**
   * Reserves a contiguous region for a tensor of `byteLength` bytes (in the current chunk, or a new one when it
   * would not fit) whose bytes then come through `append`, piece by piece, before the next `begin`.
   */
  begin(byteLength: number): ExternalLocation {
    if (this.closed) throw new Error(`${this.modelFileName}: external data already closed; build the graph first.`);
    if (this.pending > 0)
      throw new Error(`${this.modelFileName}: ${this.pending} bytes of the previous tensor never came.`);
    if (byteLength > this.maxChunkBytes) {
      throw new Error(
        `A ${byteLength}-byte initializer cannot fit a ${this.maxChunkBytes}-byte external data chunk; quantise it or raise the chunk limit.`,
      );
    }
    const padding = (ALIGNMENT - (this.position % ALIGNMENT)) % ALIGNMENT;
    if (!this.opened || this.position + padding + byteLength > this.maxChunkBytes) this.nextChunk();
    else if (padding > 0) this.writeAll(new Uint8Array(padding));
    this.pending = byteLength;
    return { location: this.chunkNames[this.chunkIndex], offset: this.position, length: byteLength };
  }

  /** Reserves a tensor's region as `begin` does and counts its bytes as written, without any (dry runs). */
  reserve(byteLength: number): ExternalLocation {
    const location = this.begin(byteLength);
    this.advance(byteLength);
    this.pending = 0;
    return location;
  }

  /** Writes the next piece of the tensor begun last. */
  append(bytes: Uint8Array): void {
    if (bytes.byteLength > this.pending) {
      throw new Error(
        `${this.modelFileName}: ${bytes.byteLength} bytes appended where ${this.pending} were left in the tensor.`,
      );
    }
    this.writeAll(bytes);
    this.pending -= bytes.byteLength;
  }

  /** Closes the open chunk and returns every chunk written, in order, with its size and SHA-256 (empty when planned). */
  close(): WrittenFile[] {
    if (this.closed) return this.closed;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.closed = this.chunkNames.map((name, i) => ({
      name,
      bytes: this.sizes[i],
      sha256: this.hashes[i]?.digest("hex") ?? "",
    }));
    return this.closed;
  }

  private nextChunk(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.chunkIndex++;
    const name = `${this.modelFileName}_data${this.chunkIndex === 0 ? "" : `_${this.chunkIndex}`}`;
    this.chunkNames.push(name);
    this.sizes.push(0);
    this.opened = true;
    if (this.dir !== null) {
      this.hashes.push(createHash("sha256"));
      this.fd = openSync(join(this.dir, name), "w");
    }
    this.position = 0;
  }

  private writeAll(bytes: Uint8Array): void {
    if (this.dir !== null) {
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(this.fd as number, bytes, done, bytes.byteLength - done, this.position + done);
      }
      this.hashes[this.chunkIndex].update(bytes);
    }
    this.advance(bytes.byteLength);
  }

  private advance(byteLength: number): void {
    this.sizes[this.chunkIndex] += byteLength;
    this.position += byteLength;
    this.bytesWritten += byteLength;
  }
}
