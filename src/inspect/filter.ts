/** Filtering and ordering the sample list, and stepping through it. Pure and fast: one pass, then one sort. */
import type { SizeBucket } from "../eval/metrics/grounding";
import { REVIEW_VERDICTS, type ReviewMark, type ReviewVerdict } from "../eval/record-format";
import { type InspectRow, outcomeOf } from "./rows";

export type OutcomeFilter = "all" | "hit" | "miss";
export type ParseFilter = "all" | "failures" | "no-box" | "malformed";
/** Samples by the reviewer's mark: any, none yet, any verdict, or one verdict. */
export type MarkFilter = "all" | "unmarked" | "marked" | ReviewVerdict;
/** IoU worst or best first, file order, the reference box's area (small or large first), or image then file order. */
export type SortOrder = "worst" | "best" | "index" | "area-small" | "area-large" | "image";

export const SORT_ORDERS: readonly SortOrder[] = ["worst", "best", "index", "area-small", "area-large", "image"];
export const MARK_FILTERS: readonly MarkFilter[] = ["all", "unmarked", "marked", ...REVIEW_VERDICTS];

/** An IoU range [from, to) of readable boxes (`to` = 1 holds 1), as a histogram bar covers it. */
export interface IouRange {
  from: number;
  to: number;
}

export interface RowFilter {
  outcome: OutcomeFilter;
  /** Buckets to show; empty shows all. */
  buckets: SizeBucket[];
  parse: ParseFilter;
  mark: MarkFilter;
  /** Readable boxes whose IoU lies in the range; null shows every sample. */
  iou: IouRange | null;
  text: string;
  sort: SortOrder;
}

export const DEFAULT_FILTER: RowFilter = {
  outcome: "all",
  buckets: [],
  parse: "all",
  mark: "all",
  iou: null,
  text: "",
  sort: "worst",
};

function matchesParse(row: InspectRow, parse: ParseFilter): boolean {
  switch (parse) {
    case "all":
      return true;
    case "failures":
      return row.parse === "no-box" || row.parse === "malformed";
    default:
      return row.parse === parse;
  }
}

function matchesMark(mark: ReviewMark | undefined, filter: MarkFilter): boolean {
  const verdict = mark?.verdict ?? null;
  switch (filter) {
    case "all":
      return true;
    case "unmarked":
      return verdict === null;
    case "marked":
      return verdict !== null;
    default:
      return verdict === filter;
  }
}

/** Whether a readable box's IoU lies in the range (the histogram's bins: [from, to), the last holding 1). */
export function inIouRange(row: InspectRow, range: IouRange): boolean {
  if (row.parse !== "box" || row.iou === null) return false;
  return row.iou >= range.from && (row.iou < range.to || (range.to >= 1 && row.iou <= 1));
}

/** The comparison of two row positions for a sort order; ties go by index (file order). */
function comparison(rows: readonly InspectRow[], sort: SortOrder): (a: number, b: number) => number {
  const byIndex = (a: number, b: number) => rows[a].index - rows[b].index;
  const nullsLast = (key: (row: InspectRow) => number | null, sign: 1 | -1) => (a: number, b: number) => {
    const ka = key(rows[a]);
    const kb = key(rows[b]);
    if (ka === null || kb === null) return ka === kb ? byIndex(a, b) : ka === null ? 1 : -1;
    return sign * (ka - kb) || byIndex(a, b);
  };
  switch (sort) {
    case "index":
      return byIndex;
    case "image":
      return (a, b) => (rows[a].image < rows[b].image ? -1 : rows[a].image > rows[b].image ? 1 : byIndex(a, b));
    case "area-small":
      return nullsLast((row) => row.area, 1);
    case "area-large":
      return nullsLast((row) => row.area, -1);
    case "best":
      return nullsLast((row) => row.iou, -1);
    case "worst":
      return nullsLast((row) => row.iou, 1);
  }
}

/**
 * The positions in `rows` the filter keeps, in its order (worst first: lowest IoU, no-reference rows last); `marks`
 * are the reviewer's, by record id.
 */
export function filterRows(
  rows: readonly InspectRow[],
  filter: RowFilter,
  threshold: number,
  marks: ReadonlyMap<string, ReviewMark> = new Map(),
): number[] {
  const text = filter.text.trim().toLowerCase();
  const kept: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (filter.outcome !== "all" && outcomeOf(row, threshold) !== filter.outcome) continue;
    if (filter.buckets.length > 0 && (row.bucket === null || !filter.buckets.includes(row.bucket))) continue;
    if (!matchesParse(row, filter.parse)) continue;
    if (filter.mark !== "all" && !matchesMark(marks.get(row.id), filter.mark)) continue;
    if (filter.iou !== null && !inIouRange(row, filter.iou)) continue;
    if (text !== "" && !row.haystack.includes(text)) continue;
    kept.push(i);
  }
  return kept.sort(comparison(rows, filter.sort));
}

/** The id `step` places from `current` in `order` (clamped to the ends); the first when `current` is not in it. */
export function stepThrough(order: readonly string[], current: string | null, step: number): string | null {
  if (order.length === 0) return null;
  const at = current === null ? -1 : order.indexOf(current);
  if (at < 0) return order[0];
  return order[Math.max(0, Math.min(order.length - 1, at + step))];
}

/**
 * A filter kept from an earlier page (IndexedDB), read field by field: what is missing or no longer valid takes the
 * default, so a kept filter never breaks the view.
 */
export function readKeptFilter(kept: unknown): RowFilter {
  if (typeof kept !== "object" || kept === null) return DEFAULT_FILTER;
  const k = kept as Partial<Record<keyof RowFilter, unknown>>;
  const oneOf = <T>(value: unknown, allowed: readonly T[], fallback: T): T =>
    allowed.includes(value as T) ? (value as T) : fallback;
  const buckets = Array.isArray(k.buckets) ? k.buckets.filter((b) => b === "S" || b === "M" || b === "L") : [];
  const iou = k.iou as Partial<IouRange> | null | undefined;
  const validIou =
    iou &&
    typeof iou.from === "number" &&
    typeof iou.to === "number" &&
    iou.from >= 0 &&
    iou.to <= 1 &&
    iou.from < iou.to
      ? { from: iou.from, to: iou.to }
      : null;
  return {
    outcome: oneOf(k.outcome, ["all", "hit", "miss"] as const, "all"),
    buckets,
    parse: oneOf(k.parse, ["all", "failures", "no-box", "malformed"] as const, "all"),
    mark: oneOf(k.mark, MARK_FILTERS, "all"),
    iou: validIou,
    text: typeof k.text === "string" ? k.text : "",
    sort: oneOf(k.sort, SORT_ORDERS, "worst"),
  };
}
