import type { ByteSource } from "../../io/source";

/** The first bytes read at once: a COG keeps every IFD there, so the header costs one request. */
export const HEAD_BYTES = 64 * 1024;
/** Bytes of recently read slices kept: geotiff.js fetches a tile's bytes again even when it kept it decoded. */
export const RECENT_BYTES = 32 * 1024 * 1024;

/**
 * geotiff.js's source interface over the project's `ByteSource`: reads by range, serves the head of the file from
 * one read, counts the bytes read, and remembers when geotiff.js asked past the end of the file (which it does
 * speculatively, and which after a parse error means the file is truncated).
 */
export class RangeReader {
  /** Bytes of the file read so far, each counted once however often it was read: never more than the file. */
  bytesRead = 0;
  requests = 0;
  private readonly distinct = new ByteRanges();
  /** The furthest byte geotiff.js asked for beyond the end of the file, or 0. */
  wantedPastEnd = 0;
  private head: Promise<Uint8Array> | null = null;
  /**
   * Reads in flight and recently done, by `offset:length`, oldest first: map tiles asking for the same raster tile
   * share one read.
   */
  private readonly slices = new Map<string, Promise<Uint8Array>>();
  /** The finished ones among them, with their sizes. */
  private readonly finished = new Map<string, number>();
  private keptBytes = 0;

  constructor(
    private readonly source: ByteSource,
    readonly fileSize: number,
  ) {}

  /** geotiff.js's entry point: the bytes of each slice, clamped to the file. */
  fetch(slices: Array<{ offset: number; length: number }>, signal?: AbortSignal): Promise<ArrayBuffer[]> {
    return Promise.all(slices.map(({ offset, length }) => this.readSlice(offset, length, signal)));
  }

  async close(): Promise<void> {
    this.head = null;
    this.slices.clear();
    this.finished.clear();
    this.keptBytes = 0;
  }

  private async readSlice(offset: number, length: number, signal?: AbortSignal): Promise<ArrayBuffer> {
    const end = Math.min(offset + length, this.fileSize);
    if (offset + length > this.fileSize) this.wantedPastEnd = Math.max(this.wantedPastEnd, offset + length);
    if (end <= offset) return new ArrayBuffer(0);
    const headSize = Math.min(HEAD_BYTES, this.fileSize);
    if (end <= headSize) {
      const head = await this.readHead(headSize, signal);
      return copy(head.subarray(offset, end));
    }
    const bytes = await this.slice(offset, end - offset);
    signal?.throwIfAborted();
    return copy(bytes);
  }

  /** One slice, shared with any caller asking for it while it is read or kept; not tied to one caller's signal. */
  private slice(offset: number, length: number): Promise<Uint8Array> {
    const key = `${offset}:${length}`;
    const found = this.slices.get(key);
    if (found) {
      this.slices.delete(key);
      this.slices.set(key, found);
      return found;
    }
    const pending = this.counted(offset, length);
    this.slices.set(key, pending);
    pending.then(
      () => this.keep(key, length),
      () => this.slices.delete(key),
    );
    return pending;
  }

  /** Counts a finished slice and forgets the least recently used finished ones past {@link RECENT_BYTES}. */
  private keep(key: string, length: number): void {
    if (!this.slices.has(key)) return;
    this.finished.set(key, length);
    this.keptBytes += length;
    for (const oldest of this.slices.keys()) {
      if (this.keptBytes <= RECENT_BYTES) break;
      const size = this.finished.get(oldest);
      if (size === undefined) continue;
      this.slices.delete(oldest);
      this.finished.delete(oldest);
      this.keptBytes -= size;
    }
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
    this.bytesRead = this.distinct.add(offset, offset + bytes.length);
    return bytes;
  }
}

function copy(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

/** Disjoint, sorted `[start, end)` byte ranges and the count of bytes they cover. */
class ByteRanges {
  private readonly ranges: Array<[number, number]> = [];
  private covered = 0;

  /** Adds `[start, end)`, merging it with the ranges it touches; returns the bytes covered now. */
  add(start: number, end: number): number {
    if (end <= start) return this.covered;
    const first = this.firstEndingAtOrAfter(start);
    let last = first;
    let from = start;
    let to = end;
    while (last < this.ranges.length && this.ranges[last][0] <= end) {
      from = Math.min(from, this.ranges[last][0]);
      to = Math.max(to, this.ranges[last][1]);
      this.covered -= this.ranges[last][1] - this.ranges[last][0];
      last++;
    }
    this.ranges.splice(first, last - first, [from, to]);
    this.covered += to - from;
    return this.covered;
  }

  /** The index of the first range whose end is at or after `offset` (binary search). */
  private firstEndingAtOrAfter(offset: number): number {
    let low = 0;
    let high = this.ranges.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.ranges[middle][1] < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
