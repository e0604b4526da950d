/**
 * The Inspect view's workspace in IndexedDB: the records shown (opened from a file or made by a run here), the
 * reviewer's marks, and what was open (file names, the annotation text, the run's settings), so that a reload
 * restores the view and resumes a run, and nothing a reviewer did is lost.
 */
import type { ReviewMark, SampleRecord } from "../../eval/record-format";
import type { RunSettings } from "../../inspect/run-settings";
import type { ViewSettings } from "../../inspect/store";
import { finished, openDatabase, promised } from "../../state/idb";

/** What was open besides the records. */
export interface WorkspaceMeta {
  resultsName: string | null;
  annotations: { name: string; text: string } | null;
  /** The run here, while it has samples left or was last used. */
  run: RunSettings | null;
}

const DB_NAME = "geozero-inspect";
const DB_VERSION = 1;
const RECORDS = "records";
const MARKS = "marks";
const META = "meta";
const META_KEY = "workspace";
/** The list's filter, sort and threshold and the image's zoom, kept apart from the workspace: Clear keeps them. */
const VIEW_KEY = "view";
/** Records per write transaction when a large file is kept. */
const BATCH = 2000;

export const EMPTY_META: WorkspaceMeta = { resultsName: null, annotations: null, run: null };

export class InspectDb {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(name = DB_NAME): Promise<InspectDb> {
    const db = await openDatabase(name, DB_VERSION, (created) => {
      created.createObjectStore(RECORDS, { keyPath: "id" });
      created.createObjectStore(MARKS);
      created.createObjectStore(META);
    });
    return new InspectDb(db);
  }

  async records(): Promise<SampleRecord[]> {
    const records = await promised(
      this.db.transaction(RECORDS).objectStore(RECORDS).getAll() as IDBRequest<SampleRecord[]>,
    );
    return records.sort((a, b) => a.index - b.index);
  }

  /** Replaces every record with these (written in batches, so a large file does not hold one huge transaction). */
  async replaceRecords(records: readonly SampleRecord[]): Promise<void> {
    const clearing = this.db.transaction(RECORDS, "readwrite");
    clearing.objectStore(RECORDS).clear();
    await finished(clearing);
    for (let at = 0; at < records.length; at += BATCH) await this.putRecords(records.slice(at, at + BATCH));
  }

  async putRecords(records: readonly SampleRecord[]): Promise<void> {
    const transaction = this.db.transaction(RECORDS, "readwrite");
    const store = transaction.objectStore(RECORDS);
    for (const record of records) store.put(record);
    await finished(transaction);
  }

  async marks(): Promise<Map<string, ReviewMark>> {
    const transaction = this.db.transaction(MARKS);
    const store = transaction.objectStore(MARKS);
    const [keys, values] = await Promise.all([
      promised(store.getAllKeys()),
      promised(store.getAll() as IDBRequest<ReviewMark[]>),
    ]);
    return new Map(keys.map((key, i) => [String(key), values[i]]));
  }

  /** Keeps a mark, or removes it with null. */
  async putMark(id: string, mark: ReviewMark | null): Promise<void> {
    const transaction = this.db.transaction(MARKS, "readwrite");
    if (mark) transaction.objectStore(MARKS).put(mark, id);
    else transaction.objectStore(MARKS).delete(id);
    await finished(transaction);
  }

  async meta(): Promise<WorkspaceMeta> {
    const stored = await promised(
      this.db.transaction(META).objectStore(META).get(META_KEY) as IDBRequest<WorkspaceMeta>,
    );
    return stored ?? EMPTY_META;
  }

  async putMeta(meta: WorkspaceMeta): Promise<void> {
    const transaction = this.db.transaction(META, "readwrite");
    transaction.objectStore(META).put(meta, META_KEY);
    await finished(transaction);
  }

  /** The view kept by the last page, unchecked (read it with `readKeptView`); undefined when none was kept. */
  async view(): Promise<unknown> {
    return promised(this.db.transaction(META).objectStore(META).get(VIEW_KEY));
  }

  async putView(view: ViewSettings): Promise<void> {
    const transaction = this.db.transaction(META, "readwrite");
    transaction.objectStore(META).put(view, VIEW_KEY);
    await finished(transaction);
  }

  /** Empties the workspace; marks go only when asked, the view stays. */
  async clear({ marks }: { marks: boolean }): Promise<void> {
    const stores = marks ? [RECORDS, MARKS, META] : [RECORDS, META];
    const transaction = this.db.transaction(stores, "readwrite");
    transaction.objectStore(RECORDS).clear();
    if (marks) transaction.objectStore(MARKS).clear();
    transaction.objectStore(META).delete(META_KEY);
    await finished(transaction);
  }
}
