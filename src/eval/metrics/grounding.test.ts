/**
 * Expected boxes and IoUs: GeoZero's own functions (`smart_resize`, `reverse_from_qwen3vl_format`, `extract_bbox`,
 * `calculate_iou` from MiliLab/GeoZero `single_infer_eval_qwen3vl_think.py`) run with Python 3.11 on these inputs;
 * bucket bounds and counting by hand from its `AREA_LEVEL` loop.
 */
import { describe, expect, it } from "vitest";
import {
  assumedModelImage,
  type BoxReading,
  extractBox,
  extractNumbers,
  GEOZERO_BOX_READING,
  iouHistogram,
  isHit,
  predictionToImagePixels,
  readPrediction,
  scoreGrounding,
  sizeBucket,
  summariseGrounding,
} from "./grounding";

const QWEN3_READING: BoxReading = { convention: "pixels", factor: 32 };

describe("GeoZero's box reading", () => {
  it("reads every number between the first [ and the last ]", () => {
    expect(extractNumbers("x [1, -2.5] and [3e2, .5]")).toEqual([1, -2.5, 3, 2, 0.5]);
    expect(extractNumbers("no box")).toBeNull();
    expect(extractBox('{"bbox_2d": [35, 10, 70, 50]}')).toEqual([35, 10, 70, 50]);
    expect(extractBox("[1, 2, 3]")).toBeNull();
  });
  it("maps predictions back with factor 28 or 32, or from 0–1000", () => {
    expect(predictionToImagePixels([100, 120, 300, 340], 800, 800, GEOZERO_BOX_READING)).toEqual([99, 118, 296, 335]);
    expect(predictionToImagePixels([100, 120, 300, 340], 800, 800, QWEN3_READING)).toEqual([100, 120, 300, 340]);
    expect(predictionToImagePixels([10.5, 20, 30, 40.5], 1000, 600, GEOZERO_BOX_READING)).toEqual([10, 20, 30, 41]);
    expect(
      predictionToImagePixels([500, 250, 1000, 1000], 800, 400, { convention: "relative-1000", factor: 28 }),
    ).toEqual([400, 100, 800, 400]);
  });
});

describe("grounding scores", () => {
  it("IoU of the normalised boxes as GeoZero computes it", () => {
    const image = { width: 800, height: 800 };
    const a = scoreGrounding(
      "<answer>[100, 120, 300, 340]</answer>",
      "[110, 100, 320, 330]",
      image,
      GEOZERO_BOX_READING,
    );
    expect(a?.iou).toBeCloseTo(0.7639343627099598, 14);
    expect(a?.hit).toBe(true);
    const b = scoreGrounding("[100, 120, 300, 340]", "[110, 100, 320, 330]", image, QWEN3_READING);
    expect(b?.iou).toBeCloseTo(0.761450381679389, 14);
    const c = scoreGrounding(
      '{"bbox_2d": [35, 10, 70, 50]}',
      "[30,12,72,52]",
      { width: 70, height: 90 },
      GEOZERO_BOX_READING,
    );
    expect(c?.iou).toBeCloseTo(0.4567699836867862, 14);
    expect(c?.hit).toBe(false);
  });
  it("buckets by reference area with inclusive bounds (S ≤ 32², M ≤ 96²)", () => {
    expect(sizeBucket([0, 0, 32, 32])).toBe("S");
    expect(sizeBucket([0, 0, 32, 33])).toBe("M");
    expect(sizeBucket([0, 0, 96, 96])).toBe("M");
    expect(sizeBucket([0, 0, 96, 97])).toBe("L");
  });
  it("skips samples whose reference is no box and counts unreadable predictions as misses", () => {
    const image = { width: 100, height: 100 };
    expect(scoreGrounding("[1,2,3,4]", "no box here", image, GEOZERO_BOX_READING)).toBeNull();
    const miss = scoreGrounding("I cannot tell", "[0, 0, 10, 10]", image, GEOZERO_BOX_READING);
    expect(miss).toEqual({ bucket: "S", iou: 0, hit: false, predictedBox: null });
    const summary = summariseGrounding([
      miss,
      null,
      { bucket: "S", iou: 0.9, hit: true, predictedBox: [0, 0, 1, 1] },
      { bucket: "L", iou: 0.5, hit: true, predictedBox: [0, 0, 1, 1] },
    ]);
    expect(summary.counted).toBe(3);
    expect(summary.overall).toBeCloseTo(200 / 3, 12);
    expect(summary.byBucket.S).toEqual({ count: 2, precision: 50 });
    expect(summary.byBucket.M.count).toBe(0);
    expect(summary.byBucket.M.precision).toBeNaN();
    expect(summary.byBucket.L).toEqual({ count: 1, precision: 100 });
  });
});

describe("the Inspect view's questions to the same module", () => {
  const score = (bucket: "S" | "M" | "L", iou: number, readable = true) => ({
    bucket,
    iou,
    hit: readable && iou >= 0.5,
    predictedBox: readable ? ([0, 0, 1, 1] as [number, number, number, number]) : null,
  });
  const scores = [score("S", 0.3), score("S", 0.55), score("M", 0.5), score("M", 0.72), score("L", 0.9), null];

  it("counts hits at IoU ≥ threshold, GeoZero's 0.5 by default", () => {
    expect(summariseGrounding(scores).overall).toBe(80);
    expect(summariseGrounding(scores, 0.5).overall).toBe(80);
    expect(summariseGrounding(scores, 0.7).overall).toBe(40);
    expect(summariseGrounding(scores, 0.7).byBucket).toEqual({
      S: { count: 2, precision: 0 },
      M: { count: 2, precision: 50 },
      L: { count: 1, precision: 100 },
    });
    expect(summariseGrounding(scores, 0.25).byBucket.S.precision).toBe(100);
  });
  it("never counts an unreadable prediction as a hit, even at threshold 0", () => {
    const unreadable = [score("S", 0, false), score("S", 0)];
    expect(summariseGrounding(unreadable, 0).overall).toBe(50);
    expect(isHit(0, null, 0)).toBe(false);
    expect(isHit(0.5, [0, 0, 1, 1])).toBe(true);
    expect(isHit(0.4999, [0, 0, 1, 1])).toBe(false);
  });
  it("bins IoUs into a histogram over [0, 1], 1 in the last bin, out-of-range values left out", () => {
    expect(iouHistogram([0, 0.05, 0.1, 0.5, 0.99, 1, Number.NaN, 1.5, -0.1])).toEqual([2, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(iouHistogram([0.2, 0.7], 2)).toEqual([1, 1]);
    expect(iouHistogram([], 4)).toEqual([0, 0, 0, 0]);
  });
  it("tells a missing box from a malformed one, as GeoZero's reading sees them", () => {
    expect(readPrediction("I see nothing")).toEqual({ status: "no-box" });
    expect(readPrediction("[12, 30, 80]")).toEqual({ status: "malformed", numbers: [12, 30, 80] });
    expect(readPrediction("[1, 2, 3, 4] and [5, 6, 7, 8]").status).toBe("malformed");
    expect(readPrediction('{"bbox_2d": [1, 2, 3, 4]}')).toEqual({ status: "box", box: [1, 2, 3, 4] });
  });
  it("names the image size the reading assumes: 28 differs from the 32 the model saw", () => {
    expect(assumedModelImage(800, 600, 28)).toEqual({ width: 812, height: 588 });
    expect(assumedModelImage(800, 600, 32)).toEqual({ width: 800, height: 608 });
  });
});
