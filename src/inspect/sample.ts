/**
 * One grounding sample taken apart for review: the reference box, the answer's boxes mapped to the original image by
 * the record's box reading, and the resize chain from the original image to what the model saw and what GeoZero's
 * reading assumed it saw.
 */
import {
  assumedModelImage,
  type Box,
  type BoxReading,
  extractBox,
  GEOZERO_BOX_READING,
  type PredictionReading,
  readPrediction,
} from "../eval/metrics/grounding";
import type { SampleRecord } from "../eval/record-format";
import { splitAnswer } from "../tasks/answer";
import { type FoundBox, findBoxes } from "../tasks/boxes";
import { DEFAULT_PIXEL_BUDGET, modelInputFor } from "../tasks/model-input-size";

export interface Size {
  width: number;
  height: number;
}

export interface SampleGeometry {
  /** The image's size as recorded (or, for records without it, as decoded). */
  original: Size;
  /** The size the model saw: the image resized to multiples of 32 in Qwen3-VL's pixel budget, before the processor. */
  modelSaw: Size;
  reading: BoxReading;
  /** False when the record does not say how boxes were read and GeoZero's default is assumed. */
  readingRecorded: boolean;
  /** The image size the reading maps the model's numbers from (pixels convention), or 1000 × 1000 (relative). */
  assumed: Size;
  reference: Box | null;
  /** The box as the model wrote it, as GeoZero's reading sees the answer. */
  written: PredictionReading;
  /** The scored box, rescaled to original pixels (the record's `predicted_box`). */
  predicted: Box | null;
  /** Every box list in the answer as the app reads it, in original pixels, with its place in the text. */
  boxes: FoundBox[];
  /**
   * The box GeoZero's evaluation scored (the record's `predicted_box`, with the record's IoU), and which of `boxes` it
   * is (null when the answer's lists do not map onto it one to one); null when the evaluation read no box, e.g. from
   * a two-box answer, which it counts as a miss.
   */
  scored: { index: number | null; pixels: Box; iou: number } | null;
  /** The scored box's IoU by its index in `boxes`: the only IoU there is (no other box is scored). */
  ious: Map<number, number>;
}

export function sampleGeometry(record: SampleRecord, decodedSize: Size | null): SampleGeometry | null {
  const size = record.image_size
    ? { width: record.image_size[0], height: record.image_size[1] }
    : (decodedSize ?? null);
  if (!size) return null;
  const reading = record.box_reading ?? GEOZERO_BOX_READING;
  const assumed =
    reading.convention === "pixels"
      ? assumedModelImage(size.width, size.height, reading.factor)
      : { width: 1000, height: 1000 };
  const labelText = Array.isArray(record.label) ? (record.label[0] ?? "") : record.label;
  const reference = extractBox(labelText);
  const boxes = findBoxes(record.answer, {
    convention: reading.convention,
    input: {
      width: assumed.width,
      height: assumed.height,
      scaleX: size.width / assumed.width,
      scaleY: size.height / assumed.height,
    },
    cropWidth: size.width,
    cropHeight: size.height,
  });
  const written = readPrediction(record.answer);
  const predicted = record.predicted_box ?? null;
  const scored = scoredBox(record, written, boxes);
  // The one box both readings agree on is drawn where GeoZero put it (rounded as its reverse mapping rounds).
  if (scored?.index != null) boxes[scored.index] = { ...boxes[scored.index], pixels: scored.pixels };
  const ious = new Map<number, number>();
  if (scored?.index != null) ious.set(scored.index, scored.iou);
  const modelSaw = modelInputFor(size.width, size.height, DEFAULT_PIXEL_BUDGET);
  return {
    original: size,
    modelSaw: { width: modelSaw.width, height: modelSaw.height },
    reading,
    readingRecorded: record.box_reading !== undefined,
    assumed,
    reference,
    written,
    predicted,
    boxes,
    scored,
    ious,
  };
}

function scoredBox(record: SampleRecord, written: PredictionReading, boxes: FoundBox[]): SampleGeometry["scored"] {
  const predicted = record.predicted_box ?? null;
  if (written.status !== "box" || predicted === null || record.score === null) return null;
  const index = boxes.length === 1 && boxes[0].pixels !== null ? 0 : null;
  return { index, pixels: predicted, iou: record.score };
}

/** A predicted box as the image and the GeoJSON export show it: with the record's IoU when it is the scored box. */
export interface DrawnPrediction {
  index: number;
  label: string | null;
  status: FoundBox["status"];
  pixels: Box;
  /** The record's IoU for the scored box; null for every other box (GeoZero scores none of them). */
  iou: number | null;
  scored: boolean;
}

/**
 * The predictions to draw: every readable box of the answer, each scored or not, and the scored box itself when it is
 * none of them (its numbers spread over several lists), so the image, the text and the export tell one story.
 */
export function predictionsToDraw(geometry: SampleGeometry): DrawnPrediction[] {
  const { boxes, scored } = geometry;
  const drawn: DrawnPrediction[] = boxes.flatMap((box) =>
    box.pixels
      ? [
          {
            index: box.index,
            label: box.label,
            status: box.status,
            pixels: box.pixels,
            iou: scored?.index === box.index ? scored.iou : null,
            scored: scored?.index === box.index,
          },
        ]
      : [],
  );
  if (scored && scored.index === null) {
    const { pixels, iou } = scored;
    drawn.push({ index: boxes.length, label: "scored box", status: "ok", pixels, iou, scored: true });
  }
  return drawn;
}

/** The reasoning the record's raw output holds before its answer. */
export function thinkOf(record: SampleRecord): string {
  return splitAnswer(record.raw_output).think;
}

/**
 * Why a sample's prediction counts as a miss without an IoU, in words; null when it has a box. GeoZero's reading
 * takes every number between the answer's first `[` and last `]`, so the boxes the answer holds are named apart from
 * that count (two `{"bbox_2d": …}` boxes are 10 numbers to it: 8 coordinates and the 2 of each "bbox_2d").
 */
export function parseProblem(answer: string, boxes: readonly FoundBox[]): string | null {
  const written = readPrediction(answer);
  if (written.status === "no-box")
    return "The answer holds no box (no [ … ] span), so GeoZero's evaluation counts a miss.";
  if (written.status !== "malformed") return null;
  const count = written.numbers.length;
  const coordinates = boxes.reduce((sum, box) => sum + box.raw.length, 0);
  const others = count - coordinates;
  if (boxes.length < 2 && others <= 0) {
    return `The answer's box text holds ${count} number${count === 1 ? "" : "s"} between its first [ and last ]; GeoZero's evaluation needs exactly 4 and counts a miss.`;
  }
  const held = boxes.length === 1 ? "one box" : `${boxes.length} boxes`;
  const which = answer.includes("bbox_2d") ? 'such as the 2 of each "bbox_2d"' : "numbers in the text around the boxes";
  const notCoordinates = others > 0 ? `, ${others} of them not coordinates (${which})` : "";
  return `The answer holds ${held}; GeoZero's evaluation reads a single box: every number between the first [ and the last ] — ${count} here${notCoordinates} — and needs exactly 4, so it counts a miss${boxes.length > 1 ? " (an answer with several boxes never scores)" : ""}.`;
}
