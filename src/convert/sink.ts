/** A file the converter wrote, as listed in the manifest. */
export interface WrittenFile {
  /** Path relative to the model folder (bare chunk name for external data, until placed under onnx/). */
  name: string;
  bytes: number;
  sha256: string;
  /** for a graph: its largest initializer (one GPU buffer on WebGPU) */
  largestInitializer?: { name: string; bytes: number };
}

/**
 * One output file of known size, written in order from its first byte to its last, its SHA-256 computed on the way.
 * A host that resumes an interrupted conversion hands back a file that already holds its first `resumedBytes` bytes
 * (with the hash of those bytes): writes that fall below them are skipped, so the converter may replay them.
 */
export interface FileSink {
  /** Bytes the file held, verified and hashed, when it was opened (0 for a new file). */
  readonly resumedBytes: number;
  /** Appends the next bytes of the file. */
  write(bytes: Uint8Array): void;
  /** Steps over the next `byteLength` bytes, which the file already holds (they must lie within `resumedBytes`). */
  skip(byteLength: number): void;
  /** Ends the file: its size and SHA-256. */
  close(): Promise<WrittenFile>;
}

/** Where a conversion writes its model folder (a folder on disk, the browser's private storage). */
export interface FolderSink {
  /** Opens `path` (relative to the model folder, e.g. `onnx/x.onnx_data`) to be written with exactly `bytes` bytes. */
  create(path: string, bytes: number): Promise<FileSink>;
}

/**
 * A FileSink over the bytes of a file that `resumedBytes` already holds: the offset of the next write is tracked and
 * only the part of each write at or beyond `resumedBytes` reaches `put` (with its offset in the file).
 */
export class ResumableFileSink implements FileSink {
  private position = 0;

  constructor(
    readonly resumedBytes: number,
    private readonly put: (bytes: Uint8Array, offset: number) => void,
    private readonly finish: (bytes: number) => Promise<WrittenFile>,
  ) {}

  write(bytes: Uint8Array): void {
    const start = this.position;
    this.position += bytes.byteLength;
    if (this.position <= this.resumedBytes) return;
    const skip = Math.max(0, this.resumedBytes - start);
    this.put(skip === 0 ? bytes : bytes.subarray(skip), start + skip);
  }

  skip(byteLength: number): void {
    if (this.position + byteLength > this.resumedBytes) {
      throw new Error(
        `Skipping to byte ${this.position + byteLength} of a file that holds ${this.resumedBytes}; only bytes already written can be skipped.`,
      );
    }
    this.position += byteLength;
  }

  close(): Promise<WrittenFile> {
    return this.finish(this.position);
  }
}
