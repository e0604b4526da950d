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
  iou,
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
  /** IoU of each readable answer box against the reference, by box index. */
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
  const scored = written.status === "box" && predicted !== null && boxes.length === 1 && boxes[0].pixels !== null;
  // One box both readings agree on: draw the box GeoZero scored (rounded as its reverse mapping rounds), with its IoU.
  if (scored) boxes[0] = { ...boxes[0], pixels: predicted };
  const ious = new Map<number, number>();
  if (reference) for (const box of boxes) if (box.pixels) ious.set(box.index, iou(reference, box.pixels));
  if (scored && record.score !== null) ious.set(0, record.score);
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
    ious,
  };
}

/** The reasoning the record's raw output holds before its answer. */
export function thinkOf(record: SampleRecord): string {
  return splitAnswer(record.raw_output).think;
}

/** Why a sample's prediction counts as a miss without an IoU, in words; null when it has a box. */
export function parseProblem(written: PredictionReading): string | null {
  if (written.status === "no-box")
    return "The answer holds no box (no [ … ] span), so GeoZero's evaluation counts a miss.";
  if (written.status === "malformed") {
    return `The answer's box text holds ${written.numbers.length} numbers between its first [ and last ]; GeoZero's evaluation needs exactly 4 and counts a miss.`;
  }
  return null;
}
