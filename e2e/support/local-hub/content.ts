import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, realpath, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";

/** A file on disk, as the snapshot folder holds it. */
export interface DiskSource {
  kind: "disk";
  file: string;
  mtimeMs: number;
  ino: number;
  /** Bytes laid over the file's own (a file "changed" on the hub without touching the folder). */
  patch?: { offset: number; bytes: Uint8Array };
}

/** One version of one file of a repository: where its bytes are and whether the hub keeps it in LFS. */
export interface FileVersion {
  /** Its path in the repository (`sub/model-00001-of-00002.safetensors`). */
  path: string;
  size: number;
  lfs: boolean;
  source: DiskSource | { kind: "memory"; bytes: Uint8Array };
}

/** Which files the hub keeps in LFS: those over `threshold` bytes and those whose names match `patterns`. */
export interface LfsRule {
  threshold: number;
  patterns: RegExp[];
}

/** The hub's default `.gitattributes` puts weights in LFS whatever their size. */
export const DEFAULT_LFS_PATTERNS = [
  /\.safetensors$/,
  /\.bin$/,
  /\.onnx$/,
  /\.onnx_data$/,
  /\.pt$/,
  /\.pth$/,
  /\.gguf$/,
];

const CHUNK = 1 << 20;

/**
 * Reads the files of a snapshot folder, following symbolic links (a hub cache's snapshots link to its blobs) and
 * skipping hidden files and folders but `.gitattributes` (`.cache/huggingface` of a `--local-dir` download, the
 * generator's `.inputs-sha256`). Paths get `subfolder/` in front.
 */
export async function scanSnapshot(dir: string, subfolder: string | undefined, lfs: LfsRule): Promise<FileVersion[]> {
  const names = await readdir(dir, { recursive: true });
  const files: FileVersion[] = [];
  for (const name of names.sort()) {
    const segments = relative(dir, join(dir, name)).split(sep);
    if (segments.some((segment) => segment.startsWith(".") && segment !== ".gitattributes")) continue;
    const info = await stat(join(dir, name));
    if (!info.isFile()) continue;
    const path = [subfolder, ...segments].filter(Boolean).join("/");
    files.push({
      path,
      size: info.size,
      lfs: info.size > lfs.threshold || lfs.patterns.some((pattern) => pattern.test(path)),
      source: { kind: "disk", file: join(dir, name), mtimeMs: info.mtimeMs, ino: info.ino },
    });
  }
  return files;
}

/** Streams bytes `start..end` (inclusive) of a version, in pieces of at most 1 MiB, never the whole file at once. */
export async function* readContent(version: FileVersion, start: number, end: number): AsyncGenerator<Buffer> {
  const { source } = version;
  if (end < start) return;
  if (source.kind === "memory") {
    for (let at = start; at <= end; at += CHUNK) {
      yield Buffer.from(source.bytes.subarray(at, Math.min(end + 1, at + CHUNK)));
    }
    return;
  }
  let at = start;
  for await (const chunk of createReadStream(source.file, { start, end, highWaterMark: CHUNK })) {
    yield source.patch ? patched(chunk as Buffer, at, source.patch) : (chunk as Buffer);
    at += (chunk as Buffer).length;
  }
}

function patched(chunk: Buffer, at: number, patch: { offset: number; bytes: Uint8Array }): Buffer {
  const from = Math.max(at, patch.offset);
  const to = Math.min(at + chunk.length, patch.offset + patch.bytes.length);
  if (from >= to) return chunk;
  const copy = Buffer.from(chunk);
  copy.set(patch.bytes.subarray(from - patch.offset, to - patch.offset), from - at);
  return copy;
}

/** A version of `version` whose last byte is inverted: same size, other content (a re-uploaded shard). */
export function withLastByteFlipped(version: FileVersion, lastByte: number): FileVersion {
  if (version.size === 0) throw new Error(`${version.path} is empty: give the changed file's content instead.`);
  const flip = { offset: version.size - 1, bytes: Uint8Array.of(lastByte ^ 0xff) };
  const source: FileVersion["source"] =
    version.source.kind === "memory"
      ? { kind: "memory", bytes: Uint8Array.from(version.source.bytes).fill(flip.bytes[0], flip.offset) }
      : { ...version.source, patch: flip };
  return { ...version, source };
}

/** The LFS pointer git keeps in place of a large file (what `/raw/` answers for it). */
export function pointerFile(version: FileVersion, sha256: string): FileVersion {
  const bytes = Buffer.from(lfsPointer(sha256, version.size));
  return { path: version.path, size: bytes.length, lfs: false, source: { kind: "memory", bytes } };
}

/** The byte at `offset`. */
export async function byteAt(version: FileVersion, offset: number): Promise<number> {
  for await (const chunk of readContent(version, offset, offset)) return chunk[0];
  throw new Error(`${version.path} has no byte at ${offset}.`);
}

/** The git blob id of some bytes: sha1 of `blob <size>\0<bytes>`. */
export function gitBlobId(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** The text of the LFS pointer git stores in place of a large file. */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

/** Files at least this large have their SHA-256 kept on disk between runs (hashing 17.5 GB takes a minute). */
const PERSISTED_FROM_BYTES = 64 << 20;

/**
 * The hashes the hub names files by: SHA-256 for LFS files, the git blob id for the others. Each is computed once
 * per version (streamed, never the whole file in memory) and shared by every request that waits for it; SHA-256s of
 * large unpatched files are also kept in `cacheFile`, keyed by real path, size, mtime and inode.
 */
export class HashBook {
  private readonly pending = new WeakMap<FileVersion, Promise<string>>();
  private persisted: Promise<Record<string, string>> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly cacheFile: string | null) {}

  /** The version's content hash: SHA-256 for LFS files, git blob id for the others. */
  contentHash(version: FileVersion): Promise<string> {
    let hash = this.pending.get(version);
    if (!hash) {
      hash = version.lfs ? this.sha256(version) : this.gitBlobIdOf(version);
      this.pending.set(version, hash);
    }
    return hash;
  }

  /** Hashes the versions one after another (two cores are shared with the browser under test). */
  warm(versions: FileVersion[]): Promise<unknown> {
    for (const version of versions) this.queue = this.queue.then(() => this.contentHash(version));
    return this.queue;
  }

  private async gitBlobIdOf(version: FileVersion): Promise<string> {
    const hash = createHash("sha1").update(`blob ${version.size}\0`);
    return this.digest(version, hash);
  }

  private async sha256(version: FileVersion): Promise<string> {
    const key = await this.persistKey(version);
    if (key) {
      const known = (await this.loadPersisted())[key];
      if (known) return known;
    }
    const hash = await this.digest(version, createHash("sha256"));
    if (key) await this.persist(key, hash);
    return hash;
  }

  private async digest(version: FileVersion, hash: Hash): Promise<string> {
    for await (const chunk of readContent(version, 0, version.size - 1)) hash.update(chunk);
    return hash.digest("hex");
  }

  private async persistKey(version: FileVersion): Promise<string | null> {
    const { source } = version;
    if (!this.cacheFile || source.kind !== "disk" || source.patch || version.size < PERSISTED_FROM_BYTES) return null;
    return `${await realpath(source.file)}|${version.size}|${source.mtimeMs}|${source.ino}`;
  }

  private loadPersisted(): Promise<Record<string, string>> {
    const file = this.cacheFile as string;
    this.persisted ??= readFile(file, "utf8")
      .then((text) => JSON.parse(text) as Record<string, string>)
      .catch(() => ({}));
    return this.persisted;
  }

  private async persist(key: string, hash: string): Promise<void> {
    const file = this.cacheFile as string;
    const known = await this.loadPersisted();
    known[key] = hash;
    const temporary = `${file}.${process.pid}.tmp`;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(temporary, JSON.stringify(known, null, 1));
    await rename(temporary, file);
  }
}
