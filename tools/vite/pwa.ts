/**
 * The offline app: vite-plugin-pwa builds the service worker (src/offline/sw.ts, Workbox's modules, injectManifest)
 * and the web app manifest. The precache holds the app shell, the sample imagery and the ONNX Runtime WASM build that
 * Chromium 137+ runs (JSPI); the build prints what a first visit downloads for offline use and fails when the precache
 * grows past {@link PRECACHE_LIMIT_BYTES}. Models are never precached: they are not in the build output.
 */

import type { Plugin } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { epsgBucketOf, PRECACHED_EPSG_BUCKETS } from "../../src/offline/cache-layout.ts";

/** The precache's ceiling (the sample PMTiles included; models excluded). */
export const PRECACHE_LIMIT_BYTES = 30 * 1000 * 1000;

/** Files left out of the precache: source maps, the other ONNX Runtime build, the served models. */
const PRECACHE_IGNORES = ["**/*.map", "**/ort-wasm-simd-threaded.asyncify*", "model-cache/**"];

/** The EPSG chunks of the codes most files use stay in the precache; the others are cached as they are used. */
function withoutRareEpsgChunks<T extends { url: string }>(entries: T[]): T[] {
  return entries.filter((entry) => {
    const bucket = epsgBucketOf(entry.url);
    return bucket === null || PRECACHED_EPSG_BUCKETS.includes(bucket);
  });
}

/** One precache entry as Workbox's build hands it to a manifest transform. */
interface SizedEntry {
  url: string;
  size: number;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** What the first visit downloads for offline use, by browser, in one line the build prints. */
export function precacheReport(entries: SizedEntry[]): string {
  const total = entries.reduce((sum, entry) => sum + entry.size, 0);
  const jspi = entries.filter((entry) => /ort-wasm-simd-threaded\.jspi/.test(entry.url));
  const jspiBytes = jspi.reduce((sum, entry) => sum + entry.size, 0);
  const sample = entries.filter((entry) => entry.url.endsWith(".pmtiles")).reduce((sum, e) => sum + e.size, 0);
  return (
    `Offline precache: ${entries.length} files, ${megabytes(total)} — the first visit's extra download for offline ` +
    `use in Chromium 137+ (ONNX Runtime's JSPI build ${megabytes(jspiBytes)}, sample imagery ${megabytes(sample)}); ` +
    `${megabytes(total - jspiBytes)} in browsers without JSPI, which cache ONNX Runtime's asyncify build on their ` +
    `first model load. Limit ${megabytes(PRECACHE_LIMIT_BYTES)}; models are not precached.`
  );
}

/** Fails the build when the precache passes the limit, naming the largest files. */
function checkPrecacheSize(entries: SizedEntry[]): void {
  const total = entries.reduce((sum, entry) => sum + entry.size, 0);
  if (total <= PRECACHE_LIMIT_BYTES) return;
  const largest = [...entries]
    .sort((a, b) => b.size - a.size)
    .slice(0, 5)
    .map((entry) => `${entry.url} (${megabytes(entry.size)})`);
  throw new Error(
    `The offline precache is ${megabytes(total)}, over its ${megabytes(PRECACHE_LIMIT_BYTES)} limit; largest: ` +
      `${largest.join(", ")}. Move large archives out of public/ or exclude them in tools/vite/pwa.ts.`,
  );
}

/** The service worker and web app manifest plugins. */
export function offlinePlugins(): Plugin[] {
  return VitePWA({
    strategies: "injectManifest",
    srcDir: "src/offline",
    filename: "sw.ts",
    registerType: "prompt",
    // src/app/offline.ts registers it (only in production builds, and in the test build when a test asks).
    injectRegister: false,
    devOptions: { enabled: false },
    includeAssets: ["icons/icon.svg"],
    manifest: {
      name: "GeoZero Web",
      short_name: "GeoZero",
      description: "Question satellite imagery with a reasoning vision-language model, entirely in the browser.",
      // Relative: the same build works at the root and under any sub-path of a static host.
      start_url: "./",
      scope: "./",
      id: "./",
      display: "standalone",
      background_color: "#111418",
      theme_color: "#111418",
      icons: [
        { src: "icons/icon-192.png", sizes: "192x192", type: "image/png" },
        { src: "icons/icon-512.png", sizes: "512x512", type: "image/png" },
        { src: "icons/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        { src: "icons/icon.svg", sizes: "any", type: "image/svg+xml" },
      ],
    },
    injectManifest: {
      rollupFormat: "iife",
      // Icons and the web app manifest are added by the plugin itself (manifest icons, includeAssets).
      globPatterns: ["**/*.{js,mjs,css,html,wasm,pmtiles,woff2}"],
      globIgnores: PRECACHE_IGNORES,
      // The JSPI runtime is 17 MB; the limit that matters is the total, checked below.
      maximumFileSizeToCacheInBytes: PRECACHE_LIMIT_BYTES,
      manifestTransforms: [
        async (all) => {
          const entries = withoutRareEpsgChunks(all);
          checkPrecacheSize(entries);
          console.log(precacheReport(entries));
          return { manifest: entries, warnings: [] };
        },
      ],
    },
  });
}
