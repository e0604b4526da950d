import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { type FileVersion, gitBlobId, type HashBook, lfsPointer, readContent } from "./content.ts";
import type { Commit, HubRepo } from "./repos.ts";

/** An entry of the hub's tree and paths-info answers. */
export interface TreeEntry {
  type: "file" | "directory";
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: { id: string; title: string; date: string };
}

/**
 * The model-info answer (`/api/models/{id}[/revision/{rev}]`) as the hub gives it: everything without `expand`,
 * else `_id`, `id` and the expanded keys only (so a client that forgets `expand=sha` gets no `sha`, as on the hub).
 * `config` holds `architectures` and `model_type` of the repository's root `config.json`, as the hub extracts them.
 */
export async function modelInfo(repo: HubRepo, commit: Commit, expand: string[]): Promise<Record<string, unknown>> {
  const files = [...commit.files.values()];
  const config = await rootConfig(commit);
  const full: Record<string, unknown> = {
    _id: createHash("sha1").update(repo.id).digest("hex").slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    author: repo.id.split("/")[0],
    sha: commit.id,
    lastModified: commit.date.toISOString(),
    createdAt: commit.date.toISOString(),
    private: repo.access === "private",
    gated: repo.access === "gated" ? "manual" : false,
    disabled: false,
    downloads: 0,
    likes: 0,
    library_name: "transformers",
    pipeline_tag: "image-text-to-text",
    tags: ["transformers", "safetensors", ...(typeof config?.model_type === "string" ? [config.model_type] : [])],
    ...(config ? { config } : {}),
    siblings: files.map((file) => ({ rfilename: file.path })),
    spaces: [],
    usedStorage: files.reduce((sum, file) => sum + file.size, 0),
  };
  if (expand.length === 0) return full;
  const kept = Object.entries(full).filter(([key]) => key === "_id" || key === "id" || expand.includes(key));
  return Object.fromEntries(kept);
}

async function rootConfig(commit: Commit): Promise<Record<string, unknown> | undefined> {
  const file = commit.files.get("config.json");
  if (!file || file.lfs) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of readContent(file, 0, file.size - 1)) chunks.push(chunk);
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    return { architectures: parsed.architectures, model_type: parsed.model_type };
  } catch {
    return undefined;
  }
}

/** The tree entry of one file: its git blob id, and for LFS files the pointer's id and `lfs` (SHA-256, sizes). */
export async function fileEntry(file: FileVersion, hashes: HashBook, commit?: Commit): Promise<TreeEntry> {
  const hash = await hashes.contentHash(file);
  const lastCommit = commit && { id: commit.id, title: commit.title, date: commit.date.toISOString() };
  const common = { type: "file" as const, size: file.size, path: file.path, ...(lastCommit ? { lastCommit } : {}) };
  if (!file.lfs) return { ...common, oid: hash };
  const pointer = Buffer.from(lfsPointer(hash, file.size));
  return { ...common, oid: gitBlobId(pointer), lfs: { oid: hash, size: file.size, pointerSize: pointer.length } };
}

function directoryEntry(path: string, commit: Commit): TreeEntry {
  // Not git's tree id (which needs the whole tree object), but stable per commit and folder.
  const oid = createHash("sha1").update(`tree ${commit.id} ${path}`).digest("hex");
  return { type: "directory", oid, size: 0, path };
}

/** The folders of a commit, every ancestor of every file. */
function folders(commit: Commit): Set<string> {
  const found = new Set<string>();
  for (const path of commit.files.keys()) {
    const parts = path.split("/");
    for (let depth = 1; depth < parts.length; depth++) found.add(parts.slice(0, depth).join("/"));
  }
  return found;
}

/**
 * The tree under `folder` ("" for the root): its direct children, or with `recursive` every file and folder below,
 * sorted by path (a folder before its contents). Undefined when `folder` is not a folder of the commit.
 */
export async function treeEntries(
  commit: Commit,
  folder: string,
  recursive: boolean,
  expand: boolean,
  hashes: HashBook,
): Promise<TreeEntry[] | undefined> {
  const allFolders = folders(commit);
  if (folder !== "" && !allFolders.has(folder)) return undefined;
  const prefix = folder === "" ? "" : `${folder}/`;
  const within = (path: string) => path.startsWith(prefix) && (recursive || !path.slice(prefix.length).includes("/"));
  const paths = [...allFolders].filter(within);
  const files = [...commit.files.values()].filter((file) => within(file.path));
  const entries = [
    ...paths.map((path) => directoryEntry(path, commit)),
    ...(await Promise.all(files.map((file) => fileEntry(file, hashes, expand ? commit : undefined)))),
  ];
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The paths-info answer: an entry for each path that is a file or folder of the commit, in the order asked. */
export async function pathsInfo(
  commit: Commit,
  paths: string[],
  expand: boolean,
  hashes: HashBook,
): Promise<TreeEntry[]> {
  const allFolders = folders(commit);
  const entries: TreeEntry[] = [];
  for (const path of paths) {
    const file = commit.files.get(path);
    if (file) entries.push(await fileEntry(file, hashes, expand ? commit : undefined));
    else if (allFolders.has(path)) entries.push(directoryEntry(path, commit));
  }
  return entries;
}

/** The paths-info body: JSON `{paths, expand}` (the JS client) or a form `paths=…&expand=…` (the Python client). */
export async function readPathsInfoBody(request: IncomingMessage): Promise<{ paths: string[]; expand: boolean }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if ((request.headers["content-type"] ?? "").includes("json")) {
    const body = JSON.parse(text || "{}") as { paths?: unknown; expand?: unknown };
    return { paths: Array.isArray(body.paths) ? body.paths.map(String) : [], expand: body.expand === true };
  }
  const form = new URLSearchParams(text);
  return { paths: form.getAll("paths"), expand: form.get("expand") === "true" };
}
