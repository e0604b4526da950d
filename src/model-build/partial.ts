/// <reference lib="webworker" />
import type { PlannedConversion } from "../convert/convert.ts";
import type { PartialTensor } from "../convert/graph/weights.ts";
import type { BuildRecord } from "./journal";

type PartialMeta = NonNullable<BuildRecord["partial"]>;

const SCALES = ".partial-scales";
const ZEROS = ".partial-zeros";

/**
 * Keeps the scales and zero points of the tensor being quantised beside the build, so a resume inside it need not
 * read its written rows again (they reach the model's files only after its last row). Appends what is new since the
 * last write; a new tensor starts the files over.
 */
export class PartialWriter {
  private handles: { scales: FileSystemSyncAccessHandle; zeros: FileSystemSyncAccessHandle } | null = null;
  private opening: Promise<void> | null = null;

  constructor(
    private readonly dir: FileSystemDirectoryHandle,
    private saved: PartialMeta | null,
  ) {
    this.opening = this.open();
  }

  /** Writes the new rows of `partial` (synchronously once the files are open) and returns what to record. */
  write(partial: PartialTensor | null): PartialMeta | null {
    if (!partial || !this.handles) return partial ? this.saved : null;
    const { scales, zeros } = this.handles;
    const scaleBytes = new Uint8Array(partial.scales.buffer, partial.scales.byteOffset, partial.scales.byteLength);
    const same = this.saved?.tensor === partial.tensor;
    const fromScales = same ? (this.saved as PartialMeta).scaleBytes : 0;
    const fromZeros = same ? (this.saved as PartialMeta).zeroBytes : 0;
    if (!same) {
      scales.truncate(0);
      zeros.truncate(0);
    }
    scales.write(scaleBytes.subarray(fromScales), { at: fromScales });
    zeros.write(partial.zeroPoints.subarray(fromZeros), { at: fromZeros });
    scales.flush();
    zeros.flush();
    this.saved = {
      tensor: partial.tensor,
      rows: partial.rows,
      scaleBytes: scaleBytes.byteLength,
      zeroBytes: partial.zeroPoints.byteLength,
    };
    return this.saved;
  }

  /** Whether the files are open (writes before that keep the last record). */
  ready(): Promise<void> {
    return this.opening ?? Promise.resolve();
  }

  /** Closes and removes the files (a finished build). */
  async clear(): Promise<void> {
    await this.ready();
    this.handles?.scales.close();
    this.handles?.zeros.close();
    this.handles = null;
    await this.dir.removeEntry(SCALES).catch(() => undefined);
    await this.dir.removeEntry(ZEROS).catch(() => undefined);
  }

  /** Closes the files, keeping them for a resume. */
  release(): void {
    this.handles?.scales.close();
    this.handles?.zeros.close();
    this.handles = null;
  }

  private async open(): Promise<void> {
    const scales = await (await this.dir.getFileHandle(SCALES, { create: true })).createSyncAccessHandle();
    const zeros = await (await this.dir.getFileHandle(ZEROS, { create: true })).createSyncAccessHandle();
    this.handles = { scales, zeros };
  }
}

/** The tensor a stopped build was in the middle of, read back from its files (null when none, or unreadable). */
export async function loadPartial(
  dir: FileSystemDirectoryHandle,
  meta: PartialMeta | null,
  planned: PlannedConversion,
): Promise<PartialTensor | null> {
  if (!meta || !planned.checkpoint.tensors.has(meta.tensor)) return null;
  const read = async (name: string, bytes: number) => {
    const file = await (await dir.getFileHandle(name)).getFile();
    return file.size >= bytes ? new Uint8Array(await file.slice(0, bytes).arrayBuffer()) : null;
  };
  const scales = await read(SCALES, meta.scaleBytes).catch(() => null);
  const zeroPoints = await read(ZEROS, meta.zeroBytes).catch(() => null);
  if (!scales || !zeroPoints) return null;
  return {
    tensor: meta.tensor,
    rows: meta.rows,
    scales: new Float32Array(scales.buffer, 0, meta.scaleBytes / 4),
    zeroPoints,
  };
}
