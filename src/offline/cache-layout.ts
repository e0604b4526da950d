/**
 * The service worker's cache layout, shared by the worker (src/offline/sw.ts), the page and the tests. Pure: no
 * Cache API here. Every cache the service worker owns is named `geozero-offline-<part>-v<N>-<scope>`; the scope keeps
 * two copies of the app on one origin (the root and `/geozero/`) apart, since they share the origin's CacheStorage.
 * Model files are never in these caches: they live in the model worker's own cache (`geozero-models-v1`) and in the
 * Origin Private File System, which no service worker code touches.
 */

/** Every cache name of the service worker starts with this. */
export const OFFLINE_CACHE_PREFIX = "geozero-offline";

/** The caches the current service worker fills, by role; bump a version when an entry's layout changes. */
export const OFFLINE_CACHES = {
  /** the app shell, the runtime's WASM, icons and the sample archives (Workbox precaching) */
  precache: "precache-v1",
  /** EPSG definitions, one chunk per thousand codes, cached as they are used */
  epsg: "epsg-v1",
  /** ONNX Runtime files left out of the precache (the build this browser does not run), cached on first use */
  runtime: "runtime-v1",
  /** `model-cache/index.json`: the list of served models and their manifests (no model file), for the list offline */
  modelIndex: "model-index-v1",
} as const;

/** The full name of one of the service worker's caches under `scope` (the registration's scope URL). */
export function offlineCacheName(part: string, scope: string): string {
  return `${OFFLINE_CACHE_PREFIX}-${part}-${scope}`;
}

/**
 * The caches to delete when a service worker for `scope` activates: those of this app's service worker under the same
 * scope that the current layout does not use (an older version's), and Workbox's default-named caches of an older
 * layout under the same scope. Caches of other scopes and every other cache (the model files') are kept.
 */
export function staleCaches(existing: string[], scope: string): string[] {
  const current = new Set(Object.values(OFFLINE_CACHES).map((part) => offlineCacheName(part, scope)));
  return existing.filter((name) => {
    if (current.has(name)) return false;
    if (name.startsWith(`${OFFLINE_CACHE_PREFIX}-`)) return name.endsWith(`-${scope}`);
    return /^workbox-(precache|runtime)/.test(name) && name.endsWith(`-${scope}`);
  });
}

/** The two builds of onnxruntime-web's WASM runtime; the app runs one (src/model/ort-runtime.ts). */
export type OrtBuild = "jspi" | "asyncify";

/** Which ONNX Runtime build a file of the build output belongs to, or null for any other file. */
export function ortBuildOf(url: string): OrtBuild | null {
  const match = /ort-wasm-simd-threaded\.(jspi|asyncify)[-.][^/]*$/.exec(url);
  return match ? (match[1] as OrtBuild) : null;
}

/**
 * The precache entries a browser needs: all but the ONNX Runtime build it does not run (JSPI where the browser has
 * JavaScript Promise Integration, as ort-runtime.ts decides, else asyncify). The other build's 17–27 MB are not
 * fetched; should it ever be asked for, the runtime cache keeps it.
 */
export function precacheFor<T extends string | { url: string }>(entries: T[], jspi: boolean): T[] {
  const skipped: OrtBuild = jspi ? "asyncify" : "jspi";
  return entries.filter((entry) => ortBuildOf(typeof entry === "string" ? entry : entry.url) !== skipped);
}

/** The thousand-code bucket of an EPSG chunk (`assets/epsg-<bucket>-<hash>.js`), or null for any other file. */
export function epsgBucketOf(path: string): number | null {
  const match = /(?:^|\/)assets\/epsg-(\d+)-[^/]+\.js$/.exec(path);
  return match ? Number(match[1]) : null;
}

/** Whether a URL path is one of the EPSG chunks. */
export function isEpsgChunk(path: string): boolean {
  return epsgBucketOf(path) !== null;
}

/**
 * The EPSG chunks precached with the app, for the codes most GeoTIFFs use: 3xxx (Web Mercator, EPSG:3857), 4xxx
 * (geographic, WGS 84 among them) and 32xxx (the UTM zones on WGS 84), 1.4 MB of the 5.2 MB. The others are cached
 * as they are used.
 */
export const PRECACHED_EPSG_BUCKETS: readonly number[] = [3, 4, 32];

/** Whether a URL path is a sample archive the app ships (`sample/*.pmtiles`), read by range. */
export function isSampleArchive(path: string): boolean {
  return /\/sample\/[^/]+\.pmtiles$/.test(path);
}

/** Whether a URL path is the served models' index (`model-cache/index.json`). */
export function isModelIndex(path: string): boolean {
  return path.endsWith("/model-cache/index.json");
}

/** The message a waiting service worker takes over on: the one workbox-window's messageSkipWaiting posts. */
export const SKIP_WAITING = "SKIP_WAITING";

/** The localStorage key with which a browser test asks the test build to register the service worker. */
export const TEST_SERVICE_WORKER_KEY = "geozero-test-service-worker";
