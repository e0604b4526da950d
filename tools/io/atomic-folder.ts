import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Fills a folder so that it appears whole or not at all: `fill` writes into a hidden sibling
 * `.<name>.partial-<pid>`, which replaces `outDir` (an existing one is swapped out and removed) only once `fill`
 * resolves. When `fill` throws or the signal aborts, the partial folder is removed and `outDir` is left as it was.
 */
export async function writeFolderAtomically<T>(
  outDir: string,
  fill: (partialDir: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const target = resolve(outDir);
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    const result = await fill(partial);
    signal?.throwIfAborted();
    await replaceFolder(partial, target);
    return result;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

async function replaceFolder(partial: string, target: string): Promise<void> {
  const exists = await stat(target).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await rename(partial, target);
    return;
  }
  const old = `${partial}.old`;
  await rename(target, old);
  await rename(partial, target);
  await rm(old, { recursive: true, force: true });
}
