import { closeSync, openSync, readSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { ByteSource } from "../../src/io/source.ts";

/** Reads a file on disk through the project's one byte-reading interface (tools, Node only). */
export class FileSource implements ByteSource {
  private knownSize: number | undefined;
  constructor(readonly key: string) {}

  /** Size of the file in bytes; rejects with the path when the file is missing. */
  async size(signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    if (this.knownSize !== undefined) return this.knownSize;
    try {
      this.knownSize = (await stat(this.key)).size;
    } catch {
      throw new Error(`${this.key}: file not found; check the path and that the download finished.`);
    }
    return this.knownSize;
  }

  /** Reads exactly `length` bytes at `offset`; a short file rejects with a message naming the path. */
  async getBytes(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    const handle = await open(this.key, "r");
    try {
      const bytes = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(bytes, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      signal?.throwIfAborted();
      if (filled !== length) throw truncated(this.key, offset, length, filled);
      return bytes;
    } finally {
      await handle.close();
    }
  }
}

/**
 * Fills `target` from the file at `path`, starting at `offset`, synchronously (worker threads reading straight into
 * their own memory); a short file throws the same message as `FileSource.getBytes`.
 */
export function readFileRangeSync(path: string, offset: number, target: Uint8Array): void {
  const fd = openSync(path, "r");
  try {
    let filled = 0;
    while (filled < target.byteLength) {
      const bytesRead = readSync(fd, target, filled, target.byteLength - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled !== target.byteLength) throw truncated(path, offset, target.byteLength, filled);
  } finally {
    closeSync(fd);
  }
}

function truncated(path: string, offset: number, length: number, filled: number): RangeError {
  return new RangeError(
    `${path}: asked for bytes ${offset}..${offset + length} but the file ends at ${offset + filled}; the file is truncated, download it again.`,
  );
}
