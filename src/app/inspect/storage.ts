/**
 * The Inspect workspace as kept in IndexedDB, and the checks every opening reruns: writes that fail are shown and the
 * view keeps working from memory.
 */

import { missingImages, unmatchedRecords } from "../../inspect/matching";
import { useInspectStore } from "../../inspect/store";
import { errorMessage } from "../../io/error-data";
import { EMPTY_META, InspectDb, type WorkspaceMeta } from "./inspect-db";

export const inspect = () => useInspectStore.getState();

let opening: Promise<InspectDb> | null = null;

/** The workspace's database, opened once per page. */
export function database(): Promise<InspectDb> {
  opening ??= InspectDb.open();
  return opening;
}

/** Runs a write to the workspace; a failure is shown, the view keeps working from memory. */
export async function keep(write: (db: InspectDb) => Promise<void>): Promise<void> {
  try {
    await write(await database());
  } catch (error) {
    inspect().set({ storageError: `The workspace could not be kept in this browser: ${errorMessage(error)}` });
  }
}

let meta: WorkspaceMeta = EMPTY_META;

/** Takes the meta read back from the workspace as the current one. */
export function adoptMeta(kept: WorkspaceMeta): void {
  meta = kept;
}

/** Changes what is kept of the workspace besides its records. */
export function updateMeta(partial: Partial<WorkspaceMeta>): Promise<void> {
  meta = { ...meta, ...partial };
  return keep((db) => db.putMeta(meta));
}

/** Recounts how records, annotations and images fit together. */
export function recheck(): void {
  const { records, annotations, folder, problems } = inspect();
  const mismatch = annotations ? unmatchedRecords(records, annotations.entries) : null;
  const missing = folder ? missingImages(annotations ? annotations.entries : records, folder.images) : null;
  inspect().set({ problems: { ...problems, mismatch, missingImages: missing } });
}

/** Shows a problem with a file the user opened (or with a run that could not start). */
export function fileProblem(name: string, text: string): void {
  inspect().set({ problems: { ...inspect().problems, file: { name, message: text } } });
}
