/**
 * The sample list's rows: what each grounding record says about the model's box, read once when records load so that
 * filtering 10,000 of them is a pass over plain fields.
 */
import { area, type Box, extractBox, isHit, readPrediction, type SizeBucket } from "../eval/metrics/grounding";
import type { SampleRecord } from "../eval/record-format";
import { groundingScoreOf } from "../eval/score";

/**
 * How the answer's box was read: a box, no box at all, a malformed one (GeoZero's reading finds a bracketed span that
 * is not four numbers), or a sample that counts nowhere because its reference is no box.
 */
export type ParseStatus = "box" | "no-box" | "malformed" | "no-reference";

export interface InspectRow {
  id: string;
  index: number;
  image: string;
  /** The record's IoU; null when its reference is no box. */
  iou: number | null;
  bucket: SizeBucket | null;
  /** The reference box's area in original pixels (what the bucket is read from); null when it is no box. */
  area: number | null;
  parse: ParseStatus;
  /** The scored box in original-image pixels, when there is one. */
  predicted: Box | null;
  /** Lower-case id, image, instruction and answer, for the text filter. */
  haystack: string;
}

/** A record's row, read through the evaluation's own `groundingScoreOf`, so the list and the summary agree. */
export function toRow(record: SampleRecord): InspectRow {
  const score = groundingScoreOf(record);
  return {
    id: record.id,
    index: record.index,
    image: record.image,
    iou: score?.iou ?? null,
    bucket: score?.bucket ?? null,
    area: referenceArea(record),
    parse: score ? readPrediction(record.answer).status : "no-reference",
    predicted: score?.predictedBox ?? null,
    haystack: `${record.id}\n${record.image}\n${record.instruction ?? ""}\n${record.answer}`.toLowerCase(),
  };
}

function referenceArea(record: SampleRecord): number | null {
  const reference = extractBox(Array.isArray(record.label) ? (record.label[0] ?? "") : record.label);
  return reference ? area(reference) : null;
}

/** A row's outcome at a threshold: a hit, a miss, or not counted (no reference box). */
export type Outcome = "hit" | "miss" | "uncounted";

/** The evaluation's {@link isHit}, per row. */
export function outcomeOf(row: InspectRow, threshold: number): Outcome {
  if (row.iou === null) return "uncounted";
  return isHit(row.iou, row.predicted, threshold) ? "hit" : "miss";
}

/**
 * A row's IoU as the list and the sample view show it: none where GeoZero's evaluation read no box from the answer
 * (the record's 0 only sorts it with the worst) or where the reference is no box.
 */
export function iouText(row: InspectRow, digits = 3): string {
  return row.iou === null || row.parse !== "box" ? "no IoU" : `IoU ${row.iou.toFixed(digits)}`;
}

/** A threshold as the view shows it: two decimals, or as many as a typed one needs (0.425). */
export function formatThreshold(threshold: number): string {
  const fixed = threshold.toFixed(2);
  return Number(fixed) === threshold ? fixed : String(threshold);
}

/** What a parse status means, for the list and the sample view. */
export const PARSE_LABELS: Record<ParseStatus, string> = {
  box: "box",
  "no-box": "no box",
  malformed: "malformed box",
  "no-reference": "no reference box",
};
