/**
 * The Inspect view's state: the records and their rows, what is open, the reviewer's marks, the list's filter and
 * threshold with the order they give, the selected sample, problems found while opening, and the run here. Side
 * effects live in the app layer (`src/app/inspect/`); this store only holds and derives.
 */
import { create } from "zustand";
import type { AnnotationEntry } from "../eval/annotations";
import { HIT_THRESHOLD } from "../eval/metrics/grounding";
import type { RecordLineProblem, ReviewMark, SampleRecord } from "../eval/record-format";
import { DEFAULT_FILTER, filterRows, type RowFilter, readKeptFilter } from "./filter";
import type { ImageIndex } from "./images";
import type { IdMismatch, MissingImages } from "./matching";
import type { RepeatedIds } from "./results-reader";
import { type InspectRow, toRow } from "./rows";
import type { RunSettings } from "./run-settings";

/** Which page of the app is open. */
export type Page = "map" | "inspect";

/** An opened images folder: images and world files by their path in it. */
export interface OpenedFolder {
  name: string;
  images: ImageIndex<File>;
  worldFiles: ImageIndex<File>;
}

/** What went wrong or did not fit while opening, by source; each says what to do. */
export interface OpenProblems {
  /** A file that could not be read at all (not JSON, wrong task…). */
  file: { name: string; message: string } | null;
  /** Lines of the results file that are no record, skipped. */
  lines: { problems: RecordLineProblem[]; count: number } | null;
  /** Ids that more than one line of the results file holds (the last line of each is shown). */
  repeated: RepeatedIds | null;
  /** Records that name no sample of the annotation file. */
  mismatch: IdMismatch | null;
  /** Samples of the annotation file (or records) whose image the folder lacks. */
  missingImages: MissingImages | null;
}

export const NO_PROBLEMS: OpenProblems = {
  file: null,
  lines: null,
  repeated: null,
  mismatch: null,
  missingImages: null,
};

/** The run in the browser. */
export type RunState =
  | { status: "idle" }
  | { status: "running"; settings: RunSettings; controller: AbortController }
  | { status: "paused"; settings: RunSettings; reason: "stopped" | "reloaded" }
  | { status: "finished"; settings: RunSettings }
  | { status: "failed"; settings: RunSettings; message: string };

export interface InspectState {
  page: Page;
  records: SampleRecord[];
  /** One row per record, at the same position (`rows[i]` is read from `records[i]`). */
  rows: InspectRow[];
  resultsName: string | null;
  annotations: { name: string; entries: AnnotationEntry[] } | null;
  folder: OpenedFolder | null;
  marks: Map<string, ReviewMark>;
  filter: RowFilter;
  threshold: number;
  /** How the sample image opens at each step: the whole image, or zoomed to its boxes. */
  zoom: ZoomMode;
  /** Positions in `rows` the filter keeps, in its order. */
  order: number[];
  selectedId: string | null;
  problems: OpenProblems;
  /** A results file being read: bytes so far of the total. */
  reading: { name: string; bytes: number; total: number } | null;
  /** Records being written to the workspace (IndexedDB) after a file was read; the view works meanwhile. */
  keeping: number | null;
  run: RunState;
  /** Why the workspace could not be kept (IndexedDB), if so. */
  storageError: string | null;
  setPage(page: Page): void;
  setRecords(records: SampleRecord[], resultsName: string | null): void;
  addRecord(record: SampleRecord): void;
  setFilter(filter: Partial<RowFilter>): void;
  setThreshold(threshold: number): void;
  setMarks(marks: Map<string, ReviewMark>): void;
  /** Takes a kept view (filter, threshold, zoom) at once. */
  setView(view: ViewSettings): void;
  select(id: string | null): void;
  set(partial: Partial<InspectState>): void;
}

/** How the sample image opens: fitted whole, or zoomed to the reference and predicted boxes. */
export type ZoomMode = "fit" | "boxes";

/** What of the view is kept across a reload. */
export interface ViewSettings {
  filter: RowFilter;
  threshold: number;
  zoom: ZoomMode;
}

export const DEFAULT_VIEW: ViewSettings = { filter: DEFAULT_FILTER, threshold: HIT_THRESHOLD, zoom: "fit" };

/** A view kept by an earlier page, read field by field: anything missing or invalid takes its default. */
export function readKeptView(kept: unknown): ViewSettings {
  if (typeof kept !== "object" || kept === null) return DEFAULT_VIEW;
  const { filter, threshold, zoom } = kept as Partial<Record<keyof ViewSettings, unknown>>;
  return {
    filter: readKeptFilter(filter),
    threshold: typeof threshold === "number" && threshold >= 0 && threshold <= 1 ? threshold : HIT_THRESHOLD,
    zoom: zoom === "boxes" ? "boxes" : "fit",
  };
}

/** The view of the state, as kept. */
export function viewOf(state: Pick<InspectState, "filter" | "threshold" | "zoom">): ViewSettings {
  return { filter: state.filter, threshold: state.threshold, zoom: state.zoom };
}

function ordered(
  rows: InspectRow[],
  { filter, threshold, marks }: Pick<InspectState, "filter" | "threshold" | "marks">,
): Pick<InspectState, "order"> {
  return { order: filterRows(rows, filter, threshold, marks) };
}

export const useInspectStore = create<InspectState>()((set, get) => ({
  page: "map",
  records: [],
  rows: [],
  resultsName: null,
  annotations: null,
  folder: null,
  marks: new Map(),
  filter: DEFAULT_VIEW.filter,
  threshold: DEFAULT_VIEW.threshold,
  zoom: DEFAULT_VIEW.zoom,
  order: [],
  selectedId: null,
  problems: NO_PROBLEMS,
  reading: null,
  keeping: null,
  run: { status: "idle" },
  storageError: null,
  setPage: (page) => set({ page }),
  setRecords: (records, resultsName) => {
    const rows = records.map(toRow);
    set({ records, rows, resultsName, ...ordered(rows, get()) });
  },
  addRecord: (record) => {
    const records = [...get().records.filter((r) => r.id !== record.id), record].sort((a, b) => a.index - b.index);
    const rows = records.map(toRow);
    set({ records, rows, ...ordered(rows, get()) });
  },
  setFilter: (partial) => {
    const filter = { ...get().filter, ...partial };
    set({ filter, ...ordered(get().rows, { ...get(), filter }) });
  },
  setThreshold: (threshold) => set({ threshold, ...ordered(get().rows, { ...get(), threshold }) }),
  setMarks: (marks) =>
    set(get().filter.mark === "all" ? { marks } : { marks, ...ordered(get().rows, { ...get(), marks }) }),
  setView: (view) => set({ ...view, ...ordered(get().rows, { ...get(), ...view }) }),
  select: (selectedId) => set({ selectedId }),
  set: (partial) => set(partial),
}));

/** The selected record, or null. */
export function selectedRecord(state: Pick<InspectState, "records" | "selectedId">): SampleRecord | null {
  return state.records.find((r) => r.id === state.selectedId) ?? null;
}

/** The ids the list shows, in its order. */
export function orderedIds(state: Pick<InspectState, "rows" | "order">): string[] {
  return state.order.map((i) => state.rows[i].id);
}
