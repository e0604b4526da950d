/// <reference lib="webworker" />
/**
 * The service worker, assembled from Workbox's modules and built by vite-plugin-pwa (injectManifest: the build fills
 * `self.__WB_MANIFEST` with the app shell's files and their revisions). It precaches the shell, the ONNX Runtime WASM
 * build this browser runs and the sample imagery, answers range requests for the sample from its cached whole copy,
 * caches EPSG chunks as they are used, and keeps the served models' index for the model list offline.
 *
 * It stores no model file: requests for model folders (`model-cache/`, the hub, any URL) have no route here and go to
 * the network as if there were no service worker; the model worker keeps its verified files in its own Cache API cache.
 * A new version waits until the page asks it to take over (the user's click), so no page runs half old, half new.
 */
import { CacheableResponsePlugin } from "workbox-cacheable-response";
import { clientsClaim, setCacheNameDetails } from "workbox-core";
import { ExpirationPlugin } from "workbox-expiration";
import { createHandlerBoundToURL, type PrecacheEntry, precacheAndRoute } from "workbox-precaching";
import { RangeRequestsPlugin } from "workbox-range-requests";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { CacheFirst, NetworkFirst } from "workbox-strategies";
import {
  isEpsgChunk,
  isModelIndex,
  isSampleArchive,
  OFFLINE_CACHES,
  offlineCacheName,
  ortBuildOf,
  precacheFor,
  SKIP_WAITING,
  staleCaches,
} from "./cache-layout";

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<PrecacheEntry | string> };

const scope = self.registration.scope;
setCacheNameDetails({
  prefix: "geozero-offline",
  precache: OFFLINE_CACHES.precache,
  runtime: OFFLINE_CACHES.runtime,
  suffix: scope,
});
const sameOrigin = (url: URL) => url.origin === self.location.origin;
/** The served models' index, beside the app (src/model/client.ts's MODEL_ROOT). */
const MODEL_INDEX = new URL("model-cache/index.json", scope).href;

// The sample archives are read by HTTP range (pmtiles): answered from the precached whole copy, before the precache's
// own route, which would answer a range request with the whole file. HEAD (the reader asks the size first) likewise.
const sampleFromPrecache = new CacheFirst({
  cacheName: offlineCacheName(OFFLINE_CACHES.precache, scope),
  plugins: [new CacheableResponsePlugin({ statuses: [200] }), new RangeRequestsPlugin()],
  matchOptions: { ignoreSearch: true, ignoreVary: true },
});
const isSample = ({ url }: { url: URL }) => sameOrigin(url) && isSampleArchive(url.pathname);
registerRoute(isSample, sampleFromPrecache, "GET");
registerRoute(
  isSample,
  async ({ request }) => {
    const cached = await caches.match(request.url, {
      cacheName: offlineCacheName(OFFLINE_CACHES.precache, scope),
      ignoreSearch: true,
      ignoreVary: true,
    });
    if (!cached) return fetch(request);
    // The whole copy answers: the browser sends a HEAD request's caller the headers only.
    const body = await cached.blob();
    const headers = new Headers(cached.headers);
    headers.set("content-length", String(body.size));
    headers.set("accept-ranges", "bytes");
    return new Response(body, { status: 200, headers });
  },
  "HEAD",
);

const jspi = typeof (WebAssembly as { Suspending?: unknown }).Suspending === "function";
precacheAndRoute(precacheFor(self.__WB_MANIFEST, jspi));

// Every navigation inside the scope opens the precached app (the app keeps its state in the URL's hash); model
// folders are files, never the app.
registerRoute(new NavigationRoute(createHandlerBoundToURL("index.html"), { denylist: [/\/model-cache\//] }));

registerRoute(
  ({ url }) => sameOrigin(url) && isEpsgChunk(url.pathname),
  new CacheFirst({
    cacheName: offlineCacheName(OFFLINE_CACHES.epsg, scope),
    plugins: [
      new CacheableResponsePlugin({ statuses: [200] }),
      new ExpirationPlugin({ maxEntries: 400, purgeOnQuotaError: true }),
    ],
  }),
);

// The ONNX Runtime build left out of this browser's precache, should it be asked for (its files are hashed: a cached
// copy never goes stale).
registerRoute(
  ({ url }) => sameOrigin(url) && ortBuildOf(url.pathname) !== null,
  new CacheFirst({
    cacheName: offlineCacheName(OFFLINE_CACHES.runtime, scope),
    plugins: [new CacheableResponsePlugin({ statuses: [200] }), new ExpirationPlugin({ maxEntries: 8 })],
  }),
);

// The served models' index (their manifests): from the network when it answers, else the last copy. The install
// stores a first copy: the page that registers the service worker read it before being controlled.
self.addEventListener("install", (event) => {
  const keep = caches
    .open(offlineCacheName(OFFLINE_CACHES.modelIndex, scope))
    .then((cache) => cache.add(MODEL_INDEX))
    .catch(() => undefined);
  event.waitUntil(keep);
});
registerRoute(
  ({ url }) => sameOrigin(url) && isModelIndex(url.pathname),
  new NetworkFirst({
    cacheName: offlineCacheName(OFFLINE_CACHES.modelIndex, scope),
    networkTimeoutSeconds: 10,
    plugins: [new CacheableResponsePlugin({ statuses: [200] })],
  }),
);

self.addEventListener("message", (event) => {
  if (event.data?.type === SKIP_WAITING) void self.skipWaiting();
});

// The first install takes the page that registered it (it runs this very version); an update only ever activates
// after SKIP_WAITING, or once every page of the old version is closed.
clientsClaim();

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) => Promise.all(staleCaches(names, scope).map((name) => caches.delete(name)))),
  );
});
