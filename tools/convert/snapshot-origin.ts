import { basename, resolve, sep } from "node:path";

/**
 * Where a snapshot came from, as a model folder may show it to anyone who downloads it: the Hugging Face repository,
 * revision and subfolder when the snapshot sits in the hub cache (`…/models--owner--name/snapshots/<revision>/…`),
 * else only the folder's name. Never the path on the converting machine.
 */
export interface SnapshotOrigin {
  folder: string;
  hub?: { id: string; revision: string; subfolder?: string };
}

const HUB_CACHE = /(?:^|\/)models--([^/]+?)--([^/]+)\/snapshots\/([^/]+)(?:\/(.+))?$/;

/** The origin of the snapshot in `dir`. */
export function snapshotOrigin(dir: string): SnapshotOrigin {
  const path = resolve(dir).split(sep).join("/");
  const folder = basename(path);
  const hub = HUB_CACHE.exec(path);
  if (!hub) return { folder };
  const [, owner, name, revision, subfolder] = hub;
  return { folder, hub: { id: `${owner}/${name}`, revision, ...(subfolder ? { subfolder } : {}) } };
}
