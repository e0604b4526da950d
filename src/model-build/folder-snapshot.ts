import type { SnapshotReader } from "../convert/safetensors/read.ts";
import type { PickedFile } from "../io/picked-files";
import { BlobSource, type ByteSource } from "../io/source";

/**
 * A snapshot folder on this computer (picked or dropped), read by `File.slice`: the folder that holds config.json
 * (the picked folder itself, or the one subfolder that does).
 */
export class FolderSnapshot implements SnapshotReader {
  readonly label: string;
  private readonly files = new Map<string, File>();

  constructor(picked: PickedFile[]) {
    const configs = picked.filter((p) => p.path === "config.json" || p.path.endsWith("/config.json"));
    const base = shallowest(configs.map((p) => p.path.slice(0, -"config.json".length)));
    this.label = base ? base.replace(/\/$/, "") : (picked[0]?.path.split("/")[0] ?? "the folder");
    for (const { path, file } of picked) if (path.startsWith(base)) this.files.set(path.slice(base.length), file);
  }

  /** Paths and sizes of the files read, to recognise the folder when a build resumes. */
  get listing(): { path: string; bytes: number }[] {
    return [...this.files]
      .map(([path, file]) => ({ path, bytes: file.size }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  async readText(name: string): Promise<string | undefined> {
    return this.files.get(name)?.text();
  }

  open(name: string): ByteSource | undefined {
    const file = this.files.get(name);
    return file && new BlobSource(file, `${this.label}/${name}`);
  }
}

function shallowest(prefixes: string[]): string {
  if (prefixes.length === 0) return "";
  return [...prefixes].sort((a, b) => a.split("/").length - b.split("/").length || a.length - b.length)[0];
}
