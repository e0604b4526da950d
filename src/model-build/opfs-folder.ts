/// <reference lib="webworker" />
import { createSHA256, type IHasher } from "hash-wasm";
import type { FileSink, FolderSink, WrittenFile } from "../convert/sink.ts";
import { ResumableFileSink } from "../convert/sink.ts";
import { BUILDS_DIRECTORY } from "../model/built-models";
import { BuildError } from "./build-errors";
import type { SavedFile } from "./journal";

/** The folder of one build (created when missing). */
export async function buildDirectory(key: string, create = true): Promise<FileSystemDirectoryHandle> {
  if (!navigator.storage?.getDirectory)
    throw new BuildError({ kind: "unsupported", missing: "the Origin Private File System" });
  const root = await navigator.storage.getDirectory();
  const builds = await root.getDirectoryHandle(BUILDS_DIRECTORY, { create: true });
  return builds.getDirectoryHandle(key, { create });
}

/** Removes a build's folder; resolves with the bytes it held. */
export async function removeBuildDirectory(key: string): Promise<number> {
  const root = await navigator.storage.getDirectory();
  const builds = await root.getDirectoryHandle(BUILDS_DIRECTORY, { create: true });
  let bytes = 0;
  try {
    bytes = await folderBytes(await builds.getDirectoryHandle(key));
  } catch {
    return 0;
  }
  await builds.removeEntry(key, { recursive: true });
  return bytes;
}

async function folderBytes(dir: FileSystemDirectoryHandle): Promise<number> {
  let bytes = 0;
  for await (const handle of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
    if (handle.kind === "file") bytes += (await (handle as FileSystemFileHandle).getFile()).size;
    else bytes += await folderBytes(handle as FileSystemDirectoryHandle);
  }
  return bytes;
}

/** The file at `path` ("onnx/x.onnx") under `dir`, its folders made on the way. */
export async function fileAt(
  dir: FileSystemDirectoryHandle,
  path: string,
  create: boolean,
): Promise<FileSystemFileHandle> {
  const parts = path.split("/");
  let folder = dir;
  for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create });
  return folder.getFileHandle(parts[parts.length - 1], { create });
}

/** One open output file: its handle and hash, and what it had when the last checkpoint saved it. */
interface OpenFile {
  path: string;
  access: FileSystemSyncAccessHandle;
  hasher: IHasher;
  written: number;
}

/**
 * A model folder written into the Origin Private File System (synchronous access handles, in a worker), each file
 * hashed on the way. A file the saved state says is partly written is handed back resumed: its bytes are kept, and
 * its SHA-256 state is restored at that length, so the converter steps over them. `checkpoint` flushes every open
 * file and gives what to save to resume from here.
 */
export class OpfsFolder implements FolderSink {
  private readonly open = new Map<string, OpenFile>();
  private readonly done = new Map<string, SavedFile>();

  constructor(
    private readonly dir: FileSystemDirectoryHandle,
    private readonly saved: Record<string, SavedFile>,
    /** the bytes the browser still lets this site store, asked when a write is refused */
    private readonly available: () => Promise<number | null>,
  ) {}

  async create(path: string, bytes: number): Promise<FileSink> {
    const saved = this.saved[path];
    if (saved?.sha256 !== undefined && saved.bytes === bytes) return finishedFile(path, saved);
    const handle = await fileAt(this.dir, path, true);
    const access = await handle.createSyncAccessHandle();
    const hasher = await createSHA256();
    // A saved state counts only when the file still holds its bytes (storage can be cleared under the build).
    const resumed = saved && saved.sha256 === undefined && access.getSize() >= saved.bytes ? saved : null;
    if (resumed) hasher.load(resumed.state);
    else hasher.init();
    const file: OpenFile = { path, access, hasher, written: resumed?.bytes ?? 0 };
    this.open.set(path, file);
    return new ResumableFileSink(
      file.written,
      (chunk, offset) => this.put(file, chunk, offset, bytes),
      (length) => this.close(file, length),
    );
  }

  /** Flushes every open file to disk and returns the state of every file written so far (what a resume needs). */
  checkpoint(): Record<string, SavedFile> {
    const files: Record<string, SavedFile> = { ...this.saved };
    for (const [path, saved] of this.done) files[path] = saved;
    for (const file of this.open.values()) {
      file.access.flush();
      files[file.path] = { bytes: file.written, state: file.hasher.save() };
    }
    return files;
  }

  /** Closes the files left open (a build that stopped); what they hold stays for a resume. */
  release(): void {
    for (const file of this.open.values()) {
      file.access.flush();
      file.access.close();
    }
    this.open.clear();
  }

  private put(file: OpenFile, chunk: Uint8Array, offset: number, planned: number): void {
    try {
      file.access.write(chunk, { at: offset });
    } catch (error) {
      if (error instanceof DOMException && error.name === "QuotaExceededError") {
        throw new StorageFullSoon(planned - offset);
      }
      throw error;
    }
    file.hasher.update(chunk);
    file.written = offset + chunk.byteLength;
  }

  private async close(file: OpenFile, length: number): Promise<WrittenFile> {
    file.access.truncate(length);
    file.access.flush();
    file.access.close();
    this.open.delete(file.path);
    const state = file.hasher.save();
    const sha256 = file.hasher.digest("hex");
    this.done.set(file.path, { bytes: length, state, sha256 });
    return { name: file.path, bytes: length, sha256 };
  }

  /** Turns a refused write into the error the user sees, with the bytes the build still needs. */
  async storageFull(error: unknown, remainingBytes: number): Promise<unknown> {
    if (!(error instanceof StorageFullSoon)) return error;
    return new BuildError({
      kind: "storage-full",
      neededBytes: remainingBytes,
      availableBytes: await this.available(),
    });
  }
}

/** A write the browser refused for lack of quota (turned into a BuildError with the numbers once they are known). */
export class StorageFullSoon extends Error {
  constructor(readonly fileBytesLeft: number) {
    super("The browser refused to store more of the build (QuotaExceededError).");
  }
}

/** A file a resumed build finished before: every write is stepped over and its hash is the one saved. */
function finishedFile(path: string, saved: SavedFile): FileSink {
  return new ResumableFileSink(
    saved.bytes,
    () => {
      throw new Error(`${path} was finished before the build resumed; nothing should be written to it.`);
    },
    async () => ({ name: path, bytes: saved.bytes, sha256: saved.sha256 as string }),
  );
}
