import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_HOOK_NAMES } from "./test-build.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("npm run build", () => {
  const outDir = mkdtempSync(join(tmpdir(), "production-build-"));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("ships no test hooks: no hook name in any script, and the window property in no file at all", async () => {
    await build({ logLevel: "warn", build: { outDir, emptyOutDir: true } });
    const files = filesUnder(outDir);
    const scripts = files.filter((file) => /\.(js|mjs|html)$/.test(file));
    expect(scripts.length).toBeGreaterThan(0);
    const found = scripts.flatMap((file) => {
      const text = readFileSync(file, "utf8");
      return TEST_HOOK_NAMES.filter((name) => text.includes(name)).map((name) => `${name} in ${file}`);
    });
    expect(found).toEqual([]);
    // Source maps hold main.tsx's text (the guarded call), but never the hooks' module, which names the property.
    const [windowProperty] = TEST_HOOK_NAMES;
    expect(files.filter((file) => readFileSync(file, "latin1").includes(windowProperty))).toEqual([]);
  }, 600_000);
});
