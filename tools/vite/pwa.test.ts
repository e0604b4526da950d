import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { epsgBucketOf, PRECACHED_EPSG_BUCKETS } from "../../src/offline/cache-layout.ts";
import { PRECACHE_LIMIT_BYTES, precacheReport } from "./pwa.ts";

/** The precache list the build wrote into sw.js (Workbox's injectManifest). */
function precachedUrls(swSource: string): string[] {
  return [...swSource.matchAll(/\{"revision":(?:"[0-9a-f]+"|null),"url":"([^"]+)"\}/g)].map((match) => match[1]);
}

describe("npm run build under a sub-path (--base /geozero/)", () => {
  const outDir = mkdtempSync(join(tmpdir(), "pwa-build-"));
  let urls: string[] = [];
  beforeAll(async () => {
    await build({ logLevel: "warn", base: "/geozero/", build: { outDir, emptyOutDir: true } });
    urls = precachedUrls(readFileSync(join(outDir, "sw.js"), "utf8"));
  }, 600_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("links a web app manifest whose start URL, scope and icons are relative to the app", () => {
    expect(readFileSync(join(outDir, "index.html"), "utf8")).toContain(
      '<link rel="manifest" href="/geozero/manifest.webmanifest">',
    );
    const manifest = JSON.parse(readFileSync(join(outDir, "manifest.webmanifest"), "utf8"));
    expect(manifest).toMatchObject({ start_url: "./", scope: "./", display: "standalone", name: "GeoZero Web" });
    for (const icon of manifest.icons as { src: string }[]) {
      expect(icon.src.startsWith("/")).toBe(false);
      expect(statSync(join(outDir, icon.src)).size).toBeGreaterThan(0);
    }
  });

  it("precaches the shell, the sample archive, ONNX Runtime's JSPI build and the common EPSG chunks; no model", () => {
    expect(urls).toContain("index.html");
    expect(urls).toContain("sample/synthetic-sample.pmtiles");
    expect(urls.some((url) => /ort-wasm-simd-threaded\.jspi-[^/]+\.wasm$/.test(url))).toBe(true);
    expect(urls.filter((url) => /model-cache|asyncify|\.map$/.test(url))).toEqual([]);
    const buckets = urls.map(epsgBucketOf).filter((bucket) => bucket !== null);
    expect(buckets.sort((a, b) => a - b)).toEqual([...PRECACHED_EPSG_BUCKETS]);
    // The rest of the EPSG table is in the build, cached as it is used.
    expect(
      readdirSync(join(outDir, "assets")).filter((name) => epsgBucketOf(`assets/${name}`) !== null).length,
    ).toBeGreaterThan(20);
  });

  it("stays under the precache limit, files on disk counted", () => {
    const total = urls.reduce((sum, url) => sum + statSync(join(outDir, url)).size, 0);
    expect(total).toBeLessThan(PRECACHE_LIMIT_BYTES);
  });
});

describe("precacheReport", () => {
  it("prints the first visit's extra download by browser", () => {
    const line = precacheReport([
      { url: "index.html", size: 1_000_000 },
      { url: "assets/ort-wasm-simd-threaded.jspi-x.wasm", size: 17_000_000 },
      { url: "sample/a.pmtiles", size: 2_000_000 },
    ]);
    expect(line).toContain("3 files, 20.0 MB");
    expect(line).toContain("JSPI build 17.0 MB, sample imagery 2.0 MB");
    expect(line).toContain("3.0 MB in browsers without JSPI");
  });
});
