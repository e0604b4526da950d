import type { OutputDtype } from "../convert/graph/weights.ts";
import type { ModelOrigin } from "../convert/manifest.ts";
import type { SnapshotReader } from "../convert/safetensors/read.ts";
import type { FolderSnapshot } from "./folder-snapshot";
import { HubSnapshot } from "./hub-snapshot";

/** The build's id: its source, pinned (commit, or the folder's name and file sizes), and its dtype. */
export function buildKey(snapshot: SnapshotReader, dtype: OutputDtype): string {
  if (isHub(snapshot)) {
    const { repo, subfolder } = snapshot.location;
    return modelKey(["hf", ...repo.split("/"), ...(subfolder ? [subfolder] : [])], snapshot.commit.slice(0, 12), dtype);
  }
  const folder = snapshot as FolderSnapshot;
  const size = folder.listing.reduce((sum, f) => sum + f.bytes, 0);
  return modelKey(["folder", folder.label], String(size), dtype);
}

/** Longest model id transformers.js accepts. */
const MAX_KEY_LENGTH = 96;

/**
 * A key transformers.js takes as a model id (it reads a folder by id only then: at most 96 of `[A-Za-z0-9_.-]`, no
 * `--` or `..`, a letter or digit at each end), the source shortened where needed so the pin and dtype stay.
 */
export function modelKey(source: string[], pin: string, dtype: string): string {
  const clean = (text: string) =>
    text
      .replace(/[^A-Za-z0-9_.-]+/g, "-")
      .replace(/([-.])[-.]+/g, "$1")
      .replace(/^[-._]+|[-._]+$/g, "");
  const suffix = `.${clean(pin)}.${clean(dtype)}`;
  return clean(clean(source.join(".")).slice(0, MAX_KEY_LENGTH - suffix.length)) + suffix;
}

/** Whether a snapshot is a hub repository folder (else a folder on this computer). */
export function isHub(snapshot: SnapshotReader): snapshot is HubSnapshot {
  return snapshot instanceof HubSnapshot;
}

/** What the model list and the build list call it. */
export function modelName(snapshot: SnapshotReader, dtype: OutputDtype): string {
  if (!isHub(snapshot)) return `${snapshot.label} (${dtype})`;
  const { repo, subfolder } = snapshot.location;
  return `${subfolder ? subfolder.split("/").pop() : repo.split("/")[1]} (${dtype}, ${snapshot.commit.slice(0, 7)})`;
}

/** Where the snapshot came from, as the manifest records it. */
export function originOf(snapshot: SnapshotReader): ModelOrigin {
  if (!isHub(snapshot)) return { folder: snapshot.label.split("/").pop() ?? snapshot.label };
  const { repo, subfolder } = snapshot.location;
  const folder = subfolder ? (subfolder.split("/").pop() as string) : (repo.split("/")[1] ?? repo);
  return { folder, hub: { id: repo, revision: snapshot.commit, ...(subfolder ? { subfolder } : {}) } };
}
