/**
 * The Inspect view's layers, read from the source: `src/inspect` and `src/tasks` stay pure (no IndexedDB, model
 * worker, DOM downloads or app-layer imports), and `src/tasks` imports nothing from the evaluation above it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "..");

function sources(folder: string): Array<{ file: string; text: string }> {
  return readdirSync(join(SRC, folder))
    .filter((name) => /\.tsx?$/.test(name) && !name.endsWith(".test.ts"))
    .map((name) => ({ file: `${folder}/${name}`, text: readFileSync(join(SRC, folder, name), "utf8") }));
}

function imports(text: string): string[] {
  return [...text.matchAll(/^import[^;]*?from "([^"]+)"/gms)].map((m) => m[1]);
}

function offences(folder: string, forbidden: RegExp, apis: RegExp | null): string[] {
  return sources(folder).flatMap(({ file, text }) => [
    ...imports(text)
      .filter((path) => forbidden.test(path))
      .map((path) => `${file} imports ${path}`),
    ...(apis ? [...text.matchAll(apis)].map((m) => `${file} uses ${m[0]}`) : []),
  ]);
}

const SIDE_EFFECTS = /\b(indexedDB|document\.|createImageBitmap|URL\.createObjectURL|postMessage|new Worker)\b/g;

describe("layers", () => {
  it("src/inspect is pure: no app, state, UI or model-worker imports and no browser side effects", () => {
    expect(offences("inspect", /^\.\.\/(app|state|ui)\/|^\.\.\/model\/client/, SIDE_EFFECTS)).toEqual([]);
  });
  it("src/tasks imports nothing from the evaluation, the Inspect view or the app", () => {
    expect(offences("tasks", /^\.\.\/(eval|inspect|app|state|ui)\//, SIDE_EFFECTS)).toEqual([]);
  });
});
