import type { ByteSource } from "../../io/source";

/** The first bytes read at once: a COG keeps every IFD there, so the header costs one request. */
export const HEAD_BYTES = 64 * 1024;

/**
 * geotiff.js's source interface over the project's `ByteSource`: reads by range, serves the head of the file from
 * one read, counts the bytes read, and remembers when geotiff.js asked past the end of the file (which it does
 * speculatively, and which after a parse error means the file is truncated).
 */
export class RangeReader {
  bytesRead = 0;
  requests = 0;
  /** The furthest byte geotiff.js asked for beyond the end of the file, or 0. */
  wantedPastEnd = 0;
  private head: Promise<Uint8Array> | null = null;

  constructor(
    private readonly source: ByteSource,
    readonly fileSize: number,
  ) {}

  /** geotiff.js's entry point: the bytes of each slice, clamped to the file. */
  fetch(slices: Array<{ offset: number; length: number }>, signal?: AbortSignal): Promise<ArrayBuffer[]> {
    return Promise.all(slices.map(({ offset, length }) => this.read(offset, length, signal)));
  }

  async close(): Promise<void> {
    this.head = null;
  }

  private async read(offset: number, length: number, signal?: AbortSignal): Promise<ArrayBuffer> {
    const end = Math.min(offset + length, this.fileSize);
    if (offset + length > this.fileSize) this.wantedPastEnd = Math.max(this.wantedPastEnd, offset + length);
    if (end <= offset) return new ArrayBuffer(0);
    const headSize = Math.min(HEAD_BYTES, this.fileSize);
    if (end <= headSize) {
      const head = await this.readHead(headSize, signal);
      return copy(head.subarray(offset, end));
    }
    return copy(await this.counted(offset, end - offset, signal));
  }

  private readHead(size: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (!this.head) {
      this.head = this.counted(0, size, signal);
      this.head.catch(() => {
        this.head = null;
      });
    }
    return this.head;
  }

  private async counted(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    this.requests++;
    const bytes = await this.source.getBytes(offset, length, signal);
    this.bytesRead += bytes.length;
    return bytes;
  }
}

function copy(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}
