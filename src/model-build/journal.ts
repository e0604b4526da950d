import type { OutputDtype } from "../convert/graph/weights.ts";
import { finished, openDatabase, promised } from "../state/idb";

/** Where a build reads its snapshot from. */
export type BuildSource =
  | { kind: "hub"; hubUrl: string; repo: string; revision: string; subfolder: string; commit: string }
  | { kind: "folder"; name: string; files: { path: string; bytes: number }[] };

/** What a build has written of one file: its length and the SHA-256 state after it (the digest once finished). */
export interface SavedFile {
  bytes: number;
  /** hash-wasm's saved SHA-256 state after `bytes` bytes */
  state: Uint8Array;
  sha256?: string;
}

/** Where a build stands, kept in IndexedDB so that a reload, a closed tab or a browser restart resumes it. */
export interface BuildRecord {
  /** its folder in the Origin Private File System, and its id in the model list */
  key: string;
  /** what the model list calls it */
  name: string;
  source: BuildSource;
  dtype: OutputDtype;
  status: "building" | "stopped" | "done";
  /** bytes of every file the build writes (support files aside) */
  plannedBytes: number;
  /** bytes of the checkpoint's weights */
  sourceBytes: number;
  files: Record<string, SavedFile>;
  /** the tensor being quantised at the last checkpoint, its rows' scales in the folder's `.partial-*` files */
  partial: { tensor: string; rows: number; scaleBytes: number; zeroBytes: number } | null;
  /** each shard's ETag when first read */
  etags: Record<string, string>;
  progress: { readBytes: number; totalBytes: number; tensorsDone: number; tensors: number; downloadedBytes: number };
  /** why it stopped, when it failed */
  stopReason?: string;
  createdAt: number;
  updatedAt: number;
}

const DB = "geozero-builds";
const STORE = "builds";

function database(): Promise<IDBDatabase> {
  return openDatabase(DB, 1, (db) => {
    if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "key" });
  });
}

async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await database();
  try {
    const transaction = db.transaction(STORE, mode);
    const result = promised(work(transaction.objectStore(STORE)));
    await finished(transaction);
    return await result;
  } finally {
    db.close();
  }
}

/** Every build this browser keeps a record of (finished, stopped or running). */
export function listBuilds(): Promise<BuildRecord[]> {
  return withStore("readonly", (store) => store.getAll() as IDBRequest<BuildRecord[]>);
}

/** One build's record. */
export async function readBuild(key: string): Promise<BuildRecord | undefined> {
  return (await withStore("readonly", (store) => store.get(key) as IDBRequest<BuildRecord | undefined>)) ?? undefined;
}

/** Saves a build's record (whole: the build worker is its only writer). */
export async function saveBuild(record: BuildRecord): Promise<void> {
  await withStore("readwrite", (store) => store.put({ ...record, updatedAt: Date.now() }));
}

/** Forgets a build's record. */
export async function forgetBuild(key: string): Promise<void> {
  await withStore("readwrite", (store) => store.delete(key));
}
