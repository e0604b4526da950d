/**
 * Offline use, the app side: registers the service worker that keeps the app for offline use (src/offline/sw.ts),
 * follows the network, offers a new version once it is installed and applies it on the user's click, and keeps the
 * model list's view of which served models this browser holds whole.
 *
 * The service worker is registered in production builds only; the test build registers it when a browser test asks
 * (localStorage {@link TEST_SERVICE_WORKER_KEY}), so the other tests run without one, as before.
 */
import { Workbox } from "workbox-window";
import { cachedModelStatus } from "../model/cached-models";
import { MODEL_ROOT } from "../model/client";
import type { ModelEntry } from "../model/manifest";
import { TEST_SERVICE_WORKER_KEY } from "../offline/cache-layout";
import { useModelStore } from "../state/model-store";
import { type OfflineUse, useOfflineStore } from "../state/offline-store";

const offline = () => useOfflineStore.getState();

/** Whether this build registers the service worker: production builds, and test builds when a test asks. */
function wantsServiceWorker(): boolean {
  if (!import.meta.env.PROD || !("serviceWorker" in navigator)) return false;
  if (!__TEST_HOOKS__) return true;
  return localStorage.getItem(TEST_SERVICE_WORKER_KEY) === "1";
}

let workbox: Workbox | null = null;

/**
 * Registers the service worker and follows it: ready for offline use once it has stored the app; unavailable (with
 * the reason) when the browser refused, the app then runs online as before; an update ready once a new version has
 * installed, applied by {@link applyUpdate}. A page the new version takes over reloads, so no page runs old scripts
 * against the new version's files.
 */
export async function keepAppForOffline(): Promise<void> {
  if (!wantsServiceWorker()) return;
  const base = import.meta.env.BASE_URL;
  workbox = new Workbox(`${base}sw.js`, { scope: base });
  const hadController = navigator.serviceWorker.controller !== null;
  workbox.addEventListener("waiting", () => offline().set({ updateReady: true }));
  workbox.addEventListener("activated", (event) => {
    if (!event.isUpdate) offline().set({ use: { status: "ready" } });
  });
  workbox.addEventListener("redundant", () => {
    if (offline().use.status === "installing") void installFailed();
  });
  // A new version took over (this tab's click, or another tab's): this page's scripts are the old version's, and the
  // old version's lazily loaded files are gone from the cache. The leave guard asks first if work is under way.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (offline().controlled) window.location.reload();
    offline().set({ controlled: true });
  });
  offline().set({ use: hadController ? { status: "ready" } : { status: "installing" }, controlled: hadController });
  try {
    const registration = await workbox.register();
    if (!registration) throw new Error("the browser did not register it");
    if (registration.active && !registration.installing) offline().set({ use: { status: "ready" } });
  } catch (error) {
    offline().set({ use: unavailable(`the browser refused its service worker (${String(error)})`) });
    return;
  }
  checkForUpdates();
}

/** How often an open app asks the host for a new version (also when the network comes back). */
const UPDATE_CHECK_MS = 60 * 60 * 1000;

/** Asks the host for a new version now and then: a demo laptop may keep the app open for days. */
function checkForUpdates(): void {
  const check = () => {
    if (navigator.onLine) void workbox?.update().catch(() => undefined);
  };
  window.setInterval(check, UPDATE_CHECK_MS);
  window.addEventListener("online", check);
}

/** The install failed (most often the storage would not take the precache): says so with the storage figures. */
async function installFailed(): Promise<void> {
  const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
  const free =
    estimate?.quota !== undefined
      ? ` This site may store ${((estimate.quota - (estimate.usage ?? 0)) / 1e6).toFixed(0)} MB more.`
      : "";
  offline().set({
    use: unavailable(`the browser would not store the app (about 24 MB) for offline use.${free}`),
  });
}

function unavailable(reason: string): OfflineUse {
  return { status: "unavailable", reason };
}

/** Applies the waiting version: it takes over, and every page of the app reloads into it. */
export function applyUpdate(): void {
  if (!workbox) return;
  offline().set({ updateReady: false });
  workbox.messageSkipWaiting();
}

/** Follows the browser's network state (`navigator.onLine` and its events); returns the unsubscribe. */
export function followNetwork(): () => void {
  const update = () => offline().set({ online: navigator.onLine });
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
  return () => {
    window.removeEventListener("online", update);
    window.removeEventListener("offline", update);
  };
}

/** Served models (model-cache/) with a manifest: those whose files the browser's model cache may hold. */
function servedModels(models: ModelEntry[]): Array<ModelEntry & { manifest: NonNullable<ModelEntry["manifest"]> }> {
  return models.filter((m): m is ModelEntry & { manifest: NonNullable<ModelEntry["manifest"]> } =>
    Boolean(m.manifest && !m.remote && !m.built),
  );
}

/** Reads which served models' dtypes the browser's model cache holds whole. */
export async function refreshCachedModels(): Promise<void> {
  if (!("caches" in globalThis)) return;
  const entries = await Promise.all(
    servedModels(useModelStore.getState().models).map(
      async (m) =>
        [m.id, await cachedModelStatus(m.manifest, `${new URL(MODEL_ROOT, location.href).href}${m.id}/`)] as const,
    ),
  );
  offline().set({ cachedModels: Object.fromEntries(entries) });
}

/**
 * Keeps the cached-model view current: when the model list changes, a load ends, or the network comes or goes (the
 * browser may have evicted files meanwhile). Returns the unsubscribe.
 */
export function followCachedModels(): () => void {
  let models = useModelStore.getState().models;
  let loadStatus = useModelStore.getState().load.status;
  const unsubscribeModels = useModelStore.subscribe((state) => {
    if (state.models === models && state.load.status === loadStatus) return;
    models = state.models;
    loadStatus = state.load.status;
    void refreshCachedModels();
  });
  let online = offline().online;
  const unsubscribeNetwork = useOfflineStore.subscribe((state) => {
    if (state.online === online) return;
    online = state.online;
    void refreshCachedModels();
  });
  return () => {
    unsubscribeModels();
    unsubscribeNetwork();
  };
}
