/** Filtering and ordering the sample list, and stepping through it. Pure and fast: one pass, then one sort. */
import type { SizeBucket } from "../eval/metrics/grounding";
import { type InspectRow, outcomeOf } from "./rows";

export type OutcomeFilter = "all" | "hit" | "miss";
export type ParseFilter = "all" | "failures" | "no-box" | "malformed";
export type SortOrder = "worst" | "best" | "index";

export interface RowFilter {
  outcome: OutcomeFilter;
  /** Buckets to show; empty shows all. */
  buckets: SizeBucket[];
  parse: ParseFilter;
  text: string;
  sort: SortOrder;
}

export const DEFAULT_FILTER: RowFilter = { outcome: "all", buckets: [], parse: "all", text: "", sort: "worst" };

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

/** The positions in `rows` the filter keeps, in its order (worst first: lowest IoU, no-reference rows last). */
export function filterRows(rows: readonly InspectRow[], filter: RowFilter, threshold: number): number[] {
  const text = filter.text.trim().toLowerCase();
  const kept: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (filter.outcome !== "all" && outcomeOf(row, threshold) !== filter.outcome) continue;
    if (filter.buckets.length > 0 && (row.bucket === null || !filter.buckets.includes(row.bucket))) continue;
    if (!matchesParse(row, filter.parse)) continue;
    if (text !== "" && !row.haystack.includes(text)) continue;
    kept.push(i);
  }
  if (filter.sort === "index") return kept.sort((a, b) => rows[a].index - rows[b].index);
  const sign = filter.sort === "worst" ? 1 : -1;
  return kept.sort((a, b) => {
    const ia = rows[a].iou;
    const ib = rows[b].iou;
    if (ia === null || ib === null) return ia === ib ? rows[a].index - rows[b].index : ia === null ? 1 : -1;
    return sign * (ia - ib) || rows[a].index - rows[b].index;
  });
}

/** The id `step` places from `current` in `order` (clamped to the ends); the first when `current` is not in it. */
export function stepThrough(order: readonly string[], current: string | null, step: number): string | null {
  if (order.length === 0) return null;
  const at = current === null ? -1 : order.indexOf(current);
  if (at < 0) return order[0];
  return order[Math.max(0, Math.min(order.length - 1, at + step))];
}
