import { create } from "zustand";
import type { CachedModelStatus } from "../model/cached-models";

/**
 * Where offline use stands: the service worker that keeps the app for offline use, and the network.
 * - `off`: no service worker here (the dev server, a test build that did not ask, a browser without them)
 * - `installing`: the first visit is storing the app for offline use
 * - `ready`: the app, the sample imagery and the runtime are stored; a reload works with the network off
 * - `unavailable`: the browser would not store them (too little storage, or service workers refused); the app runs
 *   online only, `reason` says why
 */
export type OfflineUse =
  | { status: "off" }
  | { status: "installing" }
  | { status: "ready" }
  | { status: "unavailable"; reason: string };

/** The offline state the status line, the source list and the model list show. */
export interface OfflineState {
  /** whether the browser says it has a network (navigator.onLine: false is certain, true may still fail) */
  online: boolean;
  use: OfflineUse;
  /**
   * whether the service worker answers this page's requests: from the start on a later visit, from its first
   * takeover on the first one
   */
  controlled: boolean;
  /** a new version is installed and waits for the user's click (or the next start) */
  updateReady: boolean;
  /** which dtypes of each served model have every file in the browser's model cache, by model id */
  cachedModels: Record<string, CachedModelStatus>;
  set(partial: Partial<Omit<OfflineState, "set">>): void;
}

export const useOfflineStore = create<OfflineState>()((set) => ({
  online: globalThis.navigator?.onLine ?? true,
  use: { status: "off" },
  controlled: false,
  updateReady: false,
  cachedModels: {},
  set: (partial) => set(partial),
}));
