/** One sample's parsed answer and score, and the task's metrics over all records, as GeoZero's evaluation does. */
import { splitAnswer } from "../tasks/answer";
import { exactMatch, looseMatch, pythonStrip } from "../tasks/answer-match";
import { accuracyPercent } from "./metrics/accuracy";
import { captionMetrics, captionSampleScore } from "./metrics/caption";
import {
  type Box,
  type BoxReading,
  type GroundingScore,
  HIT_THRESHOLD,
  isHit,
  type SizeBucket,
  scoreGrounding,
  summariseGrounding,
} from "./metrics/grounding";
import type { SynonymSource } from "./metrics/meteor";
import type { EvalTask } from "./tasks";

/**
 * GeoZero's `extract_answer_block`: the first non-empty `<answer>` block (via the app's `splitAnswer`), else the first
 * empty one; with no block at all the whole text — not `splitAnswer`'s text after `</think>`, which GeoZero lacks.
 */
export function evalAnswer(text: string): string {
  if (!/<answer>[\s\S]*?<\/answer>/.test(text)) return pythonStrip(text);
  return splitAnswer(text).answer;
}

/** The scoring fields of a record. */
export interface SampleScore {
  /** scene_cls/vqa: 1 or 0; grounding: IoU (null when the reference holds no box); caption: METEOR. */
  score: number | null;
  hit?: boolean;
  bucket?: SizeBucket;
  predicted_box?: Box | null;
  rouge_l?: number | null;
}

export function scoreSample(
  task: EvalTask,
  answer: string,
  sample: { label: string; references: string[] },
  image: { width: number; height: number } | null,
  reading: BoxReading,
  synonyms: SynonymSource,
): SampleScore {
  switch (task) {
    case "scene_cls":
      return { score: exactMatch(answer, sample.label) ? 1 : 0 };
    case "vqa":
      return { score: looseMatch(answer, sample.label) ? 1 : 0 };
    case "caption": {
      const { meteor, rougeL } = captionSampleScore({ prediction: answer, references: sample.references }, synonyms);
      return { score: meteor, rouge_l: rougeL };
    }
    case "grounding": {
      if (image === null) throw new Error("Grounding needs the image size.");
      const result = scoreGrounding(answer, sample.label, image, reading);
      if (result === null) return { score: null };
      return { score: result.iou, hit: result.hit, bucket: result.bucket, predicted_box: result.predictedBox };
    }
  }
}

/** What the summary needs of each record. */
export interface ScoredRecord extends SampleScore {
  answer: string;
  label: string | string[];
}

/** The task's metrics over the records: percentages for accuracies, GeoZero's 0–1 (CIDEr ×10) for captions. */
export function taskMetrics(task: EvalTask, records: ScoredRecord[], synonyms: SynonymSource): Record<string, number> {
  if (records.length === 0) return {};
  switch (task) {
    case "scene_cls":
    case "vqa":
      return { accuracy: accuracyPercent(records.map((r) => r.score === 1)) };
    case "caption": {
      const samples = records.map((r) => ({
        prediction: r.answer,
        references: Array.isArray(r.label) ? r.label : [r.label],
      }));
      return { ...captionMetrics(samples, synonyms) };
    }
    case "grounding":
      return groundingMetrics(records, HIT_THRESHOLD);
  }
}

/** A grounding record's score as the summary reads it; null when its reference is no box (it counts nowhere). */
export function groundingScoreOf(record: SampleScore): GroundingScore | null {
  if (record.bucket === undefined || record.score === null) return null;
  const predictedBox = record.predicted_box ?? null;
  return { bucket: record.bucket, iou: record.score, hit: isHit(record.score, predictedBox), predictedBox };
}

/**
 * Grounding's summary metrics at an IoU threshold: Acc@threshold overall and per size bucket (percent), with counts.
 * At 0.5 this is `npm run eval`'s summary; the Inspect view calls it with its slider's threshold.
 */
export function groundingMetrics(records: readonly SampleScore[], threshold: number): Record<string, number> {
  const summary = summariseGrounding(records.map(groundingScoreOf), threshold);
  return {
    accuracy: summary.overall,
    counted: summary.counted,
    ...Object.fromEntries(
      (["S", "M", "L"] as const).flatMap((b) => [
        [`accuracy_${b}`, summary.byBucket[b].precision],
        [`count_${b}`, summary.byBucket[b].count],
      ]),
    ),
  };
}
