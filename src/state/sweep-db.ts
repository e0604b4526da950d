/**
 * Sweeps kept in IndexedDB: one row per sweep (its header and where it stands) and one per chip record, written as
 * each chip finishes, so a reload or a closed tab resumes where the sweep stopped.
 */
import type { ChipRecord, SweepHeader } from "../sweep/records";
import { finished, openDatabase, promised } from "./idb";

/** Where a sweep stands. */
export type SweepStatus = "running" | "paused" | "stopped" | "finished";

/** A sweep's row: its header and status; its chips are rows of their own. */
export interface StoredSweep {
  id: string;
  header: SweepHeader;
  createdAt: number;
  status: SweepStatus;
  /** Why it paused or stopped, in words with what to do. */
  reason: string | null;
}

const DB_NAME = "geozero-sweeps";
const DB_VERSION = 1;
const SWEEPS = "sweeps";
const CHIPS = "chips";
const BY_SWEEP = "sweep";

export class SweepDb {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(name = DB_NAME): Promise<SweepDb> {
    const db = await openDatabase(name, DB_VERSION, (created) => {
      created.createObjectStore(SWEEPS, { keyPath: "id" });
      created.createObjectStore(CHIPS, { keyPath: ["sweep", "chip"] }).createIndex(BY_SWEEP, "sweep");
    });
    return new SweepDb(db);
  }

  async putSweep(sweep: StoredSweep): Promise<void> {
    const transaction = this.db.transaction(SWEEPS, "readwrite");
    transaction.objectStore(SWEEPS).put(sweep);
    await finished(transaction);
  }

  /** Every sweep, newest first. */
  async sweeps(): Promise<StoredSweep[]> {
    const all = await promised(this.db.transaction(SWEEPS).objectStore(SWEEPS).getAll() as IDBRequest<StoredSweep[]>);
    return all.sort((a, b) => b.createdAt - a.createdAt);
  }

  async putChip(record: ChipRecord): Promise<void> {
    const transaction = this.db.transaction(CHIPS, "readwrite");
    transaction.objectStore(CHIPS).put(record);
    await finished(transaction);
  }

  /** A sweep's chip records, by chip. */
  async chips(sweepId: string): Promise<ChipRecord[]> {
    const index = this.db.transaction(CHIPS).objectStore(CHIPS).index(BY_SWEEP);
    const records = await promised(index.getAll(IDBKeyRange.only(sweepId)) as IDBRequest<ChipRecord[]>);
    return records.sort((a, b) => a.chip - b.chip);
  }

  /** Removes a sweep and its records. */
  async delete(sweepId: string): Promise<void> {
    const transaction = this.db.transaction([SWEEPS, CHIPS], "readwrite");
    transaction.objectStore(SWEEPS).delete(sweepId);
    const chips = transaction.objectStore(CHIPS);
    chips.delete(IDBKeyRange.bound([sweepId, -Infinity], [sweepId, Infinity]));
    await finished(transaction);
  }
}
