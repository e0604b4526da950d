import type { FileSink, WrittenFile } from "../sink.ts";

/** Where one initializer's bytes were written. */
export interface ExternalLocation {
  /** Bare chunk file name, as ONNX Runtime and transformers.js resolve it beside the .onnx file. */
  location: string;
  offset: number;
  length: number;
}

/** The default chunk limit: under 2 GB so a browser can hold each chunk in one ArrayBuffer. */
export const DEFAULT_CHUNK_BYTES = 2_000_000_000;

const ALIGNMENT = 64;

/** The external-data file name of chunk `index` of a graph (transformers.js naming). */
export function chunkName(modelFileName: string, index: number): string {
  return `${modelFileName}_data${index === 0 ? "" : `_${index}`}`;
}

/**
 * The sinks of a graph's chunks, by bare chunk name, opened beforehand from the planned sizes; null plans only:
 * offsets and chunk sizes are counted as if written (a dry run's planned sizes), nothing is written or hashed.
 */
export type ChunkSinks = ReadonlyMap<string, FileSink> | null;

/**
 * Writes initializers to `<model>.onnx_data`, `<model>.onnx_data_1`, … as they are made (transformers.js naming),
 * starting a new chunk whenever the next tensor would pass `maxChunkBytes`. Only offsets stay in memory.
 */
export class ExternalDataWriter {
  private chunkIndex = -1;
  private position = 0;
  private readonly chunkNames: string[] = [];
  private readonly sizes: number[] = [];
  private closed: Promise<WrittenFile[]> | undefined;
  private pending = 0;
  /** Bytes written over all chunks (padding included). */
  bytesWritten = 0;

  constructor(
    private readonly sinks: ChunkSinks,
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
    const { chunkIndex, offset } = this.placement(this.chunkIndex, this.position, byteLength);
    if (chunkIndex !== this.chunkIndex) this.nextChunk();
    else if (offset > this.position) this.writeAll(new Uint8Array(offset - this.position));
    this.pending = byteLength;
    return { location: this.chunkNames[this.chunkIndex], offset: this.position, length: byteLength };
  }

  /**
   * Reserves a tensor's region as `begin` does and counts its bytes as written without any: a dry run, or a resumed
   * conversion stepping over bytes its files already hold.
   */
  reserve(byteLength: number): ExternalLocation {
    const location = this.begin(byteLength);
    this.sink()?.skip(byteLength);
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

  /**
   * Whether tensors of these sizes, begun one after another from here, would all land in bytes their files already
   * hold (a resumed conversion then steps over them without reading their weights). Always false when planning.
   */
  holds(byteLengths: number[]): boolean {
    if (this.sinks === null) return false;
    let chunkIndex = this.chunkIndex;
    let position = this.position;
    for (const byteLength of byteLengths) {
      const placed = this.placement(chunkIndex, position, byteLength);
      chunkIndex = placed.chunkIndex;
      position = placed.offset + byteLength;
      if (position > this.resumedBytesOf(chunkIndex)) return false;
    }
    return true;
  }

  /**
   * Steps over the next `byteLength` bytes of the tensor begun last when its file already holds them (a resumed
   * conversion), returning true; else returns false and nothing changes.
   */
  stepOverHeld(byteLength: number): boolean {
    if (this.sinks === null || byteLength > this.pending) return false;
    if (this.position + byteLength > this.resumedBytesOf(this.chunkIndex)) return false;
    this.sink()?.skip(byteLength);
    this.advance(byteLength);
    this.pending -= byteLength;
    return true;
  }

  /** Closes the open chunk and returns every chunk written, in order, with its size and SHA-256 (empty when planned). */
  close(): Promise<WrittenFile[]> {
    this.closed ??= Promise.all(
      this.chunkNames.map(async (name, i) => {
        const sink = this.sinks?.get(name);
        return sink ? { ...(await sink.close()), name } : { name, bytes: this.sizes[i], sha256: "" };
      }),
    );
    return this.closed;
  }

  /** Chunk names and sizes so far (a dry run's plan). */
  get chunks(): { name: string; bytes: number }[] {
    return this.chunkNames.map((name, i) => ({ name, bytes: this.sizes[i] }));
  }

  /** Where a tensor of `byteLength` bytes begun at `position` of chunk `chunkIndex` goes: same chunk, aligned, or the next. */
  private placement(chunkIndex: number, position: number, byteLength: number) {
    const padding = (ALIGNMENT - (position % ALIGNMENT)) % ALIGNMENT;
    if (chunkIndex < 0 || position + padding + byteLength > this.maxChunkBytes)
      return { chunkIndex: chunkIndex + 1, offset: 0 };
    return { chunkIndex, offset: position + padding };
  }

  private resumedBytesOf(chunkIndex: number): number {
    return this.sinks?.get(chunkName(this.modelFileName, chunkIndex))?.resumedBytes ?? 0;
  }

  private sink(): FileSink | undefined {
    if (this.sinks === null) return undefined;
    const name = this.chunkNames[this.chunkIndex];
    const sink = this.sinks.get(name);
    if (!sink) throw new Error(`${name}: no file was opened for this chunk; the plan and the build disagree.`);
    return sink;
  }

  private nextChunk(): void {
    this.chunkIndex++;
    this.chunkNames.push(chunkName(this.modelFileName, this.chunkIndex));
    this.sizes.push(0);
    this.position = 0;
  }

  private writeAll(bytes: Uint8Array): void {
    this.sink()?.write(bytes);
    this.advance(bytes.byteLength);
  }

  private advance(byteLength: number): void {
    this.sizes[this.chunkIndex] += byteLength;
    this.position += byteLength;
    this.bytesWritten += byteLength;
  }
}
