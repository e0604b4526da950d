import { basename, resolve, sep } from "node:path";
import type { ModelOrigin } from "../../src/convert/manifest.ts";

const HUB_CACHE = /(?:^|\/)models--([^/]+?)--([^/]+)\/snapshots\/([^/]+)(?:\/(.+))?$/;

/**
 * The origin of the snapshot in `dir`: the Hugging Face repository, revision and subfolder when it sits in the hub
 * cache (`…/models--owner--name/snapshots/<revision>/…`), else only the folder's name.
 */
export function snapshotOrigin(dir: string): ModelOrigin {
  const path = resolve(dir).split(sep).join("/");
  const folder = basename(path);
  const hub = HUB_CACHE.exec(path);
  if (!hub) return { folder };
  const [, owner, name, revision, subfolder] = hub;
  return { folder, hub: { id: `${owner}/${name}`, revision, ...(subfolder ? { subfolder } : {}) } };
}
