/** What the Inspect view exports: records as `results.jsonl` (with review marks) and as CSV, a sample as GeoJSON. */

import { HIT_THRESHOLD } from "../eval/metrics/grounding";
import { type ReviewMark, recordLine, type SampleRecord } from "../eval/record-format";
import type { GeoReference } from "../geo/georef";
import { boxesToGeoJson } from "../tasks/geojson";
import { outcomeOf, toRow } from "./rows";
import { predictionsToDraw, type SampleGeometry } from "./sample";

/**
 * The records at the list's positions, in its order: the store keeps `rows[i]` made from `records[i]`, so this is one
 * pass (10,000 records export at once, not after 50 million id comparisons).
 */
export function recordsAt(records: readonly SampleRecord[], order: readonly number[]): SampleRecord[] {
  return order.map((i) => records[i]);
}

/** Records as `npm run eval` writes them, each with its reviewer's mark when it has one; `npm run eval` resumes from it. */
export function recordsJsonl(records: readonly SampleRecord[], marks: ReadonlyMap<string, ReviewMark>): string {
  return records
    .map((record) => {
      const mark = marks.get(record.id);
      return recordLine(mark ? { ...record, review: mark } : withoutReview(record));
    })
    .join("");
}

function withoutReview(record: SampleRecord): SampleRecord {
  if (record.review === undefined) return record;
  const { review: _, ...rest } = record;
  return rest;
}

const CSV_COLUMNS = [
  "id",
  "index",
  "image",
  "model",
  "iou",
  "outcome",
  "threshold",
  "bucket",
  "box_reading",
  "reference_box",
  "predicted_box",
  "answer",
  "verdict",
  "note",
] as const;

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : Array.isArray(value) ? value.join(" ") : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Records as CSV, one row each with the outcome at `threshold` and the reviewer's mark. */
export function recordsCsv(
  records: readonly SampleRecord[],
  marks: ReadonlyMap<string, ReviewMark>,
  threshold = HIT_THRESHOLD,
): string {
  const lines = records.map((record) => {
    const row = toRow(record);
    const mark = marks.get(record.id);
    const reading = record.box_reading;
    const cells = [
      record.id,
      record.index,
      record.image,
      record.model,
      // No IoU where GeoZero's evaluation read no box (the record's 0 is no overlap measured), as the view shows it.
      row.parse === "box" ? row.iou : null,
      row.parse === "box" || row.iou === null ? outcomeOf(row, threshold) : `miss (${row.parse})`,
      threshold,
      row.bucket,
      reading ? `${reading.convention} ${reading.factor}` : "",
      Array.isArray(record.label) ? record.label[0] : record.label,
      record.predicted_box ?? null,
      record.answer,
      mark?.verdict ?? "",
      mark?.note ?? "",
    ];
    return cells.map(csvCell).join(",");
  });
  return `${[CSV_COLUMNS.join(","), ...lines].join("\r\n")}\r\n`;
}

/**
 * A georeferenced sample's reference and predicted boxes as GeoJSON: each prediction says whether GeoZero's evaluation
 * scored it, and only the scored box carries an IoU (the record's), so a two-box answer exports as the miss it is.
 */
export function sampleGeoJson(
  record: SampleRecord,
  geometry: SampleGeometry,
  georef: GeoReference,
): GeoJSON.FeatureCollection<GeoJSON.Polygon> {
  const context = { question: record.instruction ?? "", answer: record.answer, model: record.model, sample: record.id };
  const drawn = predictionsToDraw(geometry);
  const ious = new Map(drawn.flatMap((box) => (box.iou === null ? [] : [[box.index, box.iou] as const])));
  const reference = geometry.reference ? { pixels: geometry.reference, ious } : null;
  const collection = boxesToGeoJson(drawn, georef, context, reference);
  const scored = new Set(drawn.filter((box) => box.scored).map((box) => box.index));
  for (const feature of collection.features) {
    if (feature.properties?.role === "prediction") feature.properties.scored = scored.has(feature.properties.index);
  }
  return collection;
}
