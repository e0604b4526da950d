import { existsSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/** Room left on the disk beside what a step writes. */
export const DISK_MARGIN_BYTES = 1e9;

const gb = (bytes: number) => (bytes / 1e9).toFixed(1);

/** Raised when a disk cannot hold what a step is about to write; names the folder, the need and the fix. */
export class DiskSpaceError extends Error {
  override readonly name = "DiskSpaceError";
  constructor(
    readonly folder: string,
    readonly neededBytes: number,
    readonly freeBytes: number,
    what: string,
  ) {
    super(
      `${what} needs ${gb(neededBytes)} GB in ${folder} (and ${gb(DISK_MARGIN_BYTES)} GB to spare), but its disk has ` +
        `${gb(freeBytes)} GB free. Free some space, or choose a folder on a larger disk.`,
    );
  }
}

/** Free bytes on the disk that holds `path` (or its nearest existing parent). */
export async function freeBytesAt(path: string): Promise<number> {
  let dir = resolve(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/**
 * Throws a DiskSpaceError, before anything is written, unless `neededBytes` and a margin fit on the disk of
 * `folder`. `GEOZERO_FREE_BYTES` stands in for the disk's free bytes (tests of the refusal).
 */
export async function ensureFreeSpace(folder: string, neededBytes: number, what: string): Promise<void> {
  const forced = process.env.GEOZERO_FREE_BYTES;
  const free = forced === undefined ? await freeBytesAt(folder) : Number(forced);
  if (free < neededBytes + DISK_MARGIN_BYTES) throw new DiskSpaceError(resolve(folder), neededBytes, free, what);
}
