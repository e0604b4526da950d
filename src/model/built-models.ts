/// <reference lib="webworker" />
/**
 * Models built in this browser (the Model panel's Build): each a model folder in the Origin Private File System under
 * `geozero-builds/<key>/`, with `manifest.json` written last, so a folder without one is a build still under way and
 * is never offered. They load through the same path as any folder, their files handed over as the disk-backed Files
 * the build wrote (no copy).
 */
import type { ModelEntry, ModelManifest, WantedFile } from "./manifest";
import type { ModelFileSet } from "./model-files";
import type { LoadProgress } from "./progress";
import type { FolderDescription } from "./sources";

/** The folder under the Origin Private File System root that holds built models, one folder each. */
export const BUILDS_DIRECTORY = "geozero-builds";

/** Where transformers.js is told built models are: a root under the app's origin that is never fetched. */
export const BUILT_MODEL_ROOT = "built-models/";

async function buildsRoot(): Promise<FileSystemDirectoryHandle | null> {
  if (!globalThis.navigator?.storage?.getDirectory) return null;
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(BUILDS_DIRECTORY, { create: true });
}

async function fileIn(dir: FileSystemDirectoryHandle, path: string): Promise<File> {
  const parts = path.split("/");
  let folder = dir;
  for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part);
  return (await folder.getFileHandle(parts[parts.length - 1])).getFile();
}

/** A finished build's manifest, or null when the folder has none yet (or an unreadable one). */
async function manifestOf(dir: FileSystemDirectoryHandle): Promise<ModelManifest | null> {
  try {
    return JSON.parse(await (await fileIn(dir, "manifest.json")).text()) as ModelManifest;
  } catch {
    return null;
  }
}

/** The models built in this browser and finished, for the model list. */
export async function listBuiltModels(): Promise<ModelEntry[]> {
  const root = await buildsRoot().catch(() => null);
  if (!root) return [];
  const entries: ModelEntry[] = [];
  for await (const [key, handle] of (
    root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
  ).entries()) {
    if (handle.kind !== "directory") continue;
    const manifest = await manifestOf(handle as FileSystemDirectoryHandle);
    if (manifest) entries.push({ id: key, manifest, built: { bytes: manifest.totalBytes } });
  }
  return entries.sort((a, b) => a.id.localeCompare(b.id));
}

/** Every file of a finished build with its path in the model folder (to save the folder elsewhere). */
export async function builtFolderFiles(key: string): Promise<{ path: string; file: File }[]> {
  const root = await buildsRoot();
  const dir = root && (await root.getDirectoryHandle(key));
  const manifest = dir && (await manifestOf(dir));
  if (!dir || !manifest) throw new Error(`${key}: no finished build of that name in this browser.`);
  const paths = [...manifest.files.map((f) => f.path), "manifest.json"];
  return Promise.all(paths.map(async (path) => ({ path, file: await fileIn(dir, path) })));
}

/** A built model's folder as a load reads it: manifest and config from the browser's storage. */
export async function describeBuiltFolder(key: string): Promise<FolderDescription> {
  const root = await buildsRoot();
  const dir = root && (await root.getDirectoryHandle(key).catch(() => null));
  const manifest = dir && (await manifestOf(dir));
  if (!dir || !manifest) {
    throw new Error(
      `${key}: this browser holds no finished build of that name (it was deleted, or storage was cleared); build it again.`,
    );
  }
  const config = JSON.parse(await (await fileIn(dir, "config.json")).text());
  return { manifest, config, dtypes: manifest.dtypes, version: null };
}

/** Every file of a load of a built model, as the Files the build wrote (read from disk piece by piece when used). */
export async function builtModelFiles(
  key: string,
  baseUrl: string,
  files: WantedFile[],
  onProgress: (progress: LoadProgress) => void,
): Promise<ModelFileSet> {
  const root = await buildsRoot();
  const dir = root && (await root.getDirectoryHandle(key));
  if (!dir) throw new Error(`${key}: the built model's folder is gone; build it again.`);
  const total = files.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
  const blobs = new Map<string, Blob>();
  let cachedBytes = 0;
  for (const file of files) {
    const found = await fileIn(dir, file.path).catch(() => null);
    if (!found || (file.bytes !== undefined && found.size !== file.bytes)) {
      if (file.optional) continue;
      throw new Error(
        `${key}/${file.path}: ${found ? `${found.size} bytes where its manifest says ${file.bytes}` : "missing"}; the browser's storage lost part of the model. Delete it and build it again.`,
      );
    }
    blobs.set(new URL(file.path, baseUrl).href, found);
    cachedBytes += found.size;
    onProgress({ status: "cached", file: file.path, loaded: cachedBytes, total });
  }
  return { blobs, downloadedBytes: 0, cachedBytes, notCached: null, streamed: [] };
}
