/**
 * Grounding accuracy of GeoZero's evaluation (borrowed there from RSEvalKit `model_eval_mp.py`): boxes read from the
 * text between the first `[` and the last `]`, the predicted box mapped back to the original image, IoU of the boxes
 * normalised by the image size, a hit at IoU ≥ 0.5, counted overall and by the area of the *reference* box in original
 * pixels: S when area ≤ 32², M when ≤ 96², else L (GeoZero's `while area > AREA_LEVEL[l]: l += 1`, so the bounds are
 * inclusive). Samples whose reference is not a 4-number box count nowhere; an unreadable prediction counts as a miss.
 * The Inspect view asks the same summary at other IoU thresholds; at 0.5 it is GeoZero's.
 */
import type { BoxConvention } from "../../tasks/boxes";
import { GEOZERO_EVAL_FACTOR, pythonRound, smartResize, tokenBudget } from "../../tasks/model-input-size";

export type Box = [number, number, number, number];
export type SizeBucket = "S" | "M" | "L";

/** The rescaling factor: 28 as GeoZero's paper code (patch 14 × merge 2), or Qwen3-VL's 32. */
export type BoxFactor = 28 | 32;

const NUMBER = /[-+]?\d*\.?\d+/g;

/** GeoZero's `extract_bbox`: every number between the first `[` and the last `]`, or null when either is missing. */
export function extractNumbers(text: string): number[] | null {
  const start = text.indexOf("[");
  const end = text.lastIndexOf("]");
  if (start === -1 || end === -1) return null;
  return (text.slice(start, end + 1).match(NUMBER) ?? []).map(Number);
}

/** `extract_bbox` followed by `is_valid_bbox` (exactly four numbers). */
export function extractBox(text: string): Box | null {
  const reading = readPrediction(text);
  return reading.status === "box" ? reading.box : null;
}

/**
 * What GeoZero's reading makes of an answer: a box, no box at all (no `[`…`]`), or a malformed one (a bracketed span
 * that does not hold exactly four numbers, e.g. three numbers or two boxes). The last two are misses.
 */
export type PredictionReading =
  | { status: "box"; box: Box }
  | { status: "no-box" }
  | { status: "malformed"; numbers: number[] };

export function readPrediction(answer: string): PredictionReading {
  const numbers = extractNumbers(answer);
  if (numbers === null) return { status: "no-box" };
  return numbers.length === 4 ? { status: "box", box: numbers as Box } : { status: "malformed", numbers };
}

/** How predicted boxes are read. */
export interface BoxReading {
  convention: BoxConvention;
  /** Used by the "pixels" convention only. */
  factor: BoxFactor;
}

export const GEOZERO_BOX_READING: BoxReading = { convention: "pixels", factor: GEOZERO_EVAL_FACTOR };

/**
 * The predicted box in original-image pixels. "pixels" is GeoZero's `reverse_from_qwen3vl_format`: the model's pixels
 * on the smart-resized image, scaled back and rounded. "relative-1000" (stock Qwen3-VL, our addition) scales 0–1000.
 */
export function predictionToImagePixels(box: Box, width: number, height: number, reading: BoxReading): Box {
  if (reading.convention === "relative-1000") {
    return [(box[0] * width) / 1000, (box[1] * height) / 1000, (box[2] * width) / 1000, (box[3] * height) / 1000];
  }
  const assumed = assumedModelImage(width, height, reading.factor);
  const sx = width / assumed.width;
  const sy = height / assumed.height;
  return [pythonRound(box[0] * sx), pythonRound(box[1] * sy), pythonRound(box[2] * sx), pythonRound(box[3] * sy)];
}

/**
 * The image size the "pixels" reading assumes the model wrote its box on: `smart_resize` at the reading's factor
 * (GeoZero's 28 gives another size than the 32 the model really saw whenever the sides are not multiples of 28).
 */
export function assumedModelImage(width: number, height: number, factor: BoxFactor): { width: number; height: number } {
  const [resizedHeight, resizedWidth] = smartResize(height, width, factor, tokenBudget(factor));
  return { width: resizedWidth, height: resizedHeight };
}

/** GeoZero's `calculate_iou` (0 when the boxes do not overlap; no check of corner order). */
export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[2], b[2]);
  const y2 = Math.min(a[3], b[3]);
  if (x1 >= x2 || y1 >= y2) return 0;
  const intersection = (x2 - x1) * (y2 - y1);
  return intersection / (area(a) + area(b) - intersection);
}

export function area(box: Box): number {
  return (box[2] - box[0]) * (box[3] - box[1]);
}

/** S: area ≤ 32², M: area ≤ 96², L: larger. */
export function sizeBucket(referenceBox: Box): SizeBucket {
  const a = area(referenceBox);
  if (a <= 32 ** 2) return "S";
  if (a <= 96 ** 2) return "M";
  return "L";
}

/** One sample's grounding outcome; null when the reference is not a box (the sample counts nowhere). */
export interface GroundingScore {
  bucket: SizeBucket;
  iou: number;
  hit: boolean;
  predictedBox: Box | null;
}

export function scoreGrounding(
  answer: string,
  label: string,
  image: { width: number; height: number },
  reading: BoxReading,
): GroundingScore | null {
  const reference = extractBox(label);
  if (reference === null) return null;
  const bucket = sizeBucket(reference);
  const predicted = extractBox(answer);
  if (predicted === null) return { bucket, iou: 0, hit: false, predictedBox: null };
  const { width: w, height: h } = image;
  const inImage = predictionToImagePixels(predicted, w, h, reading);
  const normalise = (b: Box): Box => [b[0] / w, b[1] / h, b[2] / w, b[3] / h];
  const overlap = iou(normalise(reference), normalise(inImage));
  return { bucket, iou: overlap, hit: isHit(overlap, inImage), predictedBox: inImage };
}

/** GeoZero's hit threshold: IoU ≥ 0.5. */
export const HIT_THRESHOLD = 0.5;

/** A hit at `threshold`: a readable prediction whose IoU reaches it (an unreadable one misses at any threshold). */
export function isHit(iou: number, predictedBox: Box | null, threshold = HIT_THRESHOLD): boolean {
  return predictedBox !== null && iou >= threshold;
}

export interface GroundingSummary {
  /** percent; NaN without countable samples, as GeoZero's numpy division gives */
  overall: number;
  byBucket: Record<SizeBucket, { count: number; precision: number }>;
  counted: number;
}

/** Accuracy overall and by bucket; a sample is a hit when {@link isHit} at `threshold` (GeoZero: 0.5). */
export function summariseGrounding(scores: Array<GroundingScore | null>, threshold = HIT_THRESHOLD): GroundingSummary {
  const byBucket: GroundingSummary["byBucket"] = {
    S: { count: 0, precision: 0 },
    M: { count: 0, precision: 0 },
    L: { count: 0, precision: 0 },
  };
  const hits: Record<SizeBucket, number> = { S: 0, M: 0, L: 0 };
  let counted = 0;
  let totalHits = 0;
  for (const score of scores) {
    if (score === null) continue;
    counted++;
    byBucket[score.bucket].count++;
    if (isHit(score.iou, score.predictedBox, threshold)) {
      hits[score.bucket]++;
      totalHits++;
    }
  }
  for (const bucket of ["S", "M", "L"] as const) {
    const { count } = byBucket[bucket];
    byBucket[bucket].precision = count === 0 ? Number.NaN : (hits[bucket] / count) * 100;
  }
  return { overall: counted === 0 ? Number.NaN : (totalHits / counted) * 100, byBucket, counted };
}

/** Counts of IoU values in `bins` equal bins over [0, 1]; each bin holds [lo, hi) and the last also holds 1. */
export function iouHistogram(ious: readonly number[], bins = 10): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const value of ious) {
    if (!(value >= 0 && value <= 1)) continue;
    counts[Math.min(bins - 1, Math.floor(value * bins))]++;
  }
  return counts;
}
