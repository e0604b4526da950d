import type { BuildOptions } from "./family-types.ts";
import type { OutputDtype } from "./graph/weights.ts";
import type { WrittenFile } from "./sink.ts";

/**
 * Where a snapshot came from, as a model folder may show it to anyone who downloads it: the Hugging Face repository,
 * revision and subfolder when known, else only the folder's name. Never a path on the converting machine.
 */
export interface ModelOrigin {
  folder: string;
  hub?: { id: string; revision: string; subfolder?: string };
}

/** What the manifest says of the conversion besides its files. */
export interface ManifestSource {
  origin: ModelOrigin;
  dtypes: OutputDtype[];
  visionDtype?: OutputDtype;
  modelType: string;
  attention: BuildOptions;
  shards: string[];
  demo: boolean;
}

/** The text of `manifest.json`: every file with its size and SHA-256, sorted by path, and where the model came from. */
export function modelManifest(files: WrittenFile[], source: ManifestSource): string {
  const manifest = {
    format: "geozero-web model folder 1",
    source: { ...source.origin, modelType: source.modelType, shards: source.shards },
    dtypes: source.dtypes,
    visionDtype: source.visionDtype ?? null,
    attention: source.attention.attention,
    visionAttention: source.attention.visionAttention,
    ...(source.demo ? { demo: true } : {}),
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    files: [...files]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((f) => ({
        path: f.name,
        bytes: f.bytes,
        sha256: f.sha256,
        ...(f.largestInitializer ? { largestInitializer: f.largestInitializer } : {}),
      })),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
