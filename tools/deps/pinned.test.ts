import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * Dependencies the app relies on beyond their API, pinned to one exact version: onnxruntime-web's dev build (its
 * JSPI build, how it slices external-data Blobs, transformers.js's copy being the same one).
 */
const PINNED = ["onnxruntime-web"];
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

const manifest = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
  packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
};

describe.each(PINNED)("%s", (name) => {
  const pinned = manifest.dependencies[name] ?? "";

  it("is pinned to one exact version in package.json, not a range", () => {
    expect(pinned).toMatch(EXACT_VERSION);
  });

  it("is installed, locked and required by every dependent at exactly the pinned version (one copy)", () => {
    const installed = (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string })
      .version;
    expect(installed, "installed: run npm ci").toBe(pinned);
    const copies = Object.entries(lock.packages).filter(([path]) => path.endsWith(`node_modules/${name}`));
    expect(copies.map(([path, entry]) => [path, entry.version])).toEqual([[`node_modules/${name}`, pinned]]);
    for (const [path, entry] of Object.entries(lock.packages)) {
      const wanted = entry.dependencies?.[name];
      if (path !== "" && wanted !== undefined) expect(wanted, `${path} wants ${name}@${wanted}`).toBe(pinned);
    }
  });
});
