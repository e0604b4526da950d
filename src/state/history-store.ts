import { create } from "zustand";
import { errorMessage } from "../io/error-data";
import { HistoryDb, type HistoryEntry } from "./history-db";

/** The history panel's state: entries newest first, mirrored from IndexedDB. */
export interface HistoryState {
  entries: HistoryEntry[];
  error: string | null;
  load(): Promise<void>;
  add(entry: HistoryEntry): Promise<void>;
  remove(id: string): Promise<void>;
}

let opening: Promise<HistoryDb> | null = null;
function database(): Promise<HistoryDb> {
  opening ??= HistoryDb.open();
  return opening;
}

/** The history store. */
export const useHistoryStore = create<HistoryState>()((set, get) => ({
  entries: [],
  error: null,
  load: async () => {
    try {
      set({ entries: await (await database()).all(), error: null });
    } catch (error) {
      set({ error: errorMessage(error) });
    }
  },
  // The list changes once the database has, so a reload right after shows what the list showed.
  add: async (entry) => {
    try {
      await (await database()).put(entry);
    } catch (error) {
      set({ error: `The result could not be kept for later: ${errorMessage(error)}` });
    }
    set({ entries: [entry, ...get().entries.filter((e) => e.id !== entry.id)] });
  },
  remove: async (id) => {
    try {
      await (await database()).delete(id);
    } catch (error) {
      set({ error: `The result could not be deleted: ${errorMessage(error)}` });
      return;
    }
    set({ entries: get().entries.filter((e) => e.id !== id) });
  },
}));
