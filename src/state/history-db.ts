/**
 * Results kept per question in IndexedDB, behind a small typed wrapper over the raw API (one object store keyed by
 * id, with an index on creation time). Blobs (the crop PNG and its thumbnail) are stored as they are.
 */
import type { GeoReference } from "../geo/georef";
import type { BBox } from "../geo/tiles";
import type { BoxConvention, FoundBox } from "../tasks/boxes";
import type { ModelInput } from "../tasks/model-input-size";
import type { TaskId } from "../tasks/prompts";
import { finished, openDatabase, promised } from "./idb";

/** The crop a question was asked about, with its georeferencing. */
export interface StoredCrop {
  png: Blob;
  width: number;
  height: number;
  georef: GeoReference;
  zoom: number;
  sourceId: string;
  bbox: BBox;
}

/** One finished or stopped result. */
export interface HistoryEntry {
  id: string;
  createdAt: number;
  task: TaskId;
  /** The instruction as sent to the model. */
  question: string;
  think: string;
  answer: string;
  status: "done" | "stopped";
  /** Model id and dtype, e.g. `geozero-tiny (q4)`. */
  model: string;
  boxes: FoundBox[];
  boxConvention: BoxConvention;
  /** What the model saw, and the scale back to crop pixels boxes were mapped through. */
  input: ModelInput;
  crop: StoredCrop;
  thumbnail: Blob;
}

const DB_NAME = "geozero-web";
const DB_VERSION = 1;
const STORE = "history";
const BY_TIME = "createdAt";

/** The history database. */
export class HistoryDb {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (creating or upgrading) the database. */
  static async open(name = DB_NAME): Promise<HistoryDb> {
    const db = await openDatabase(name, DB_VERSION, (created) => {
      const store = created.createObjectStore(STORE, { keyPath: "id" });
      store.createIndex(BY_TIME, "createdAt");
    });
    return new HistoryDb(db);
  }

  /** Adds or replaces an entry. */
  async put(entry: HistoryEntry): Promise<void> {
    const transaction = this.db.transaction(STORE, "readwrite");
    transaction.objectStore(STORE).put(entry);
    await finished(transaction);
  }

  /** Every entry, newest first. */
  async all(): Promise<HistoryEntry[]> {
    const index = this.db.transaction(STORE, "readonly").objectStore(STORE).index(BY_TIME);
    const entries = await promised(index.getAll() as IDBRequest<HistoryEntry[]>);
    return entries.reverse();
  }

  /** One entry, or undefined. */
  async get(id: string): Promise<HistoryEntry | undefined> {
    const store = this.db.transaction(STORE, "readonly").objectStore(STORE);
    return promised(store.get(id) as IDBRequest<HistoryEntry | undefined>);
  }

  /** Removes an entry (nothing happens for an unknown id). */
  async delete(id: string): Promise<void> {
    const transaction = this.db.transaction(STORE, "readwrite");
    transaction.objectStore(STORE).delete(id);
    await finished(transaction);
  }

  /** Closes the connection. */
  close(): void {
    this.db.close();
  }
}
