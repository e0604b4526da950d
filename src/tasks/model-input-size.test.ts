import { describe, expect, it } from "vitest";
import { toCropPixels } from "./boxes";
import {
  DEFAULT_PIXEL_BUDGET,
  modelInputFor,
  pixelBudgetProblem,
  pythonRound,
  recordedModelInput,
  smartResize,
  snappedCropSize,
  tokenBudget,
} from "./model-input-size";

describe("smartResize", () => {
  // Expected values computed by hand with GeoZero's smart_resize (round, then floor/ceil by factor under the budget).
  it("rounds sides to the factor", () => {
    expect(smartResize(480, 640, 32, DEFAULT_PIXEL_BUDGET)).toEqual([480, 640]);
    expect(smartResize(500, 700, 32, DEFAULT_PIXEL_BUDGET)).toEqual([512, 704]);
    expect(smartResize(500, 700, 28, DEFAULT_PIXEL_BUDGET)).toEqual([504, 700]);
  });

  it("shrinks into the maximum and grows into the minimum", () => {
    expect(smartResize(2000, 2000, 32, { minPixels: 1024, maxPixels: 1024 * 1024 })).toEqual([1024, 1024]);
    expect(smartResize(10, 10, 32, { minPixels: 64 * 64, maxPixels: 1024 * 1024 })).toEqual([64, 64]);
  });

  it("rounds halves to even like Python's round", () => {
    expect([0.5, 1.5, 2.5, 3.5, 4.5, -2.5, 2.4999, 2.6].map(pythonRound)).toEqual([0, 2, 2, 4, 4, -2, 2, 3]);
  });

  it("rounds sides that are odd multiples of factor / 2 to the even multiple, as Python's smart_resize", () => {
    // 80 / 32 = 2.5 → 2 and 144 / 32 = 4.5 → 4 (rounding halves up would give 96 × 160); 48 / 32 = 1.5 and
    // 112 / 32 = 3.5 go up to the even 2 and 4.
    expect(smartResize(80, 144, 32, DEFAULT_PIXEL_BUDGET)).toEqual([64, 128]);
    expect(smartResize(48, 112, 32, DEFAULT_PIXEL_BUDGET)).toEqual([64, 128]);
    expect(smartResize(70, 42, 28, tokenBudget(28))).toEqual([56, 56]);
    expect(modelInputFor(144, 80)).toMatchObject({ width: 128, height: 64, exact: false, visualTokens: 8 });
  });

  it("gives GeoZero's smart_resize sizes with its default budget at factor 28 and 32", () => {
    // GeoZero's `smart_resize` (MiliLab/GeoZero single_infer_eval_qwen3vl_think.py) run with Python 3.11.
    expect(smartResize(70, 800, 28, tokenBudget(28))).toEqual([56, 812]);
    expect(smartResize(400, 400, 32, tokenBudget(32))).toEqual([384, 384]);
    expect(smartResize(20, 30, 28, tokenBudget(28))).toEqual([56, 84]);
    expect(smartResize(5000, 9000, 28, tokenBudget(28))).toEqual([2660, 4788]);
  });

  it("refuses extreme aspect ratios", () => {
    expect(() => smartResize(1, 300, 32, DEFAULT_PIXEL_BUDGET)).toThrow(/aspect ratio/);
  });
});

describe("modelInputFor", () => {
  it("is exact for crops with sides that are multiples of 32 inside the budget, and counts visual tokens", () => {
    expect(modelInputFor(640, 480)).toEqual({
      width: 640,
      height: 480,
      scaleX: 1,
      scaleY: 1,
      exact: true,
      visualTokens: 300,
    });
  });
});

describe("snappedCropSize and the recorded model input", () => {
  it("snaps to multiples of 32 the model maps to themselves", () => {
    const [w, h] = snappedCropSize(470, 331);
    expect([w, h]).toEqual([480, 320]);
    expect(modelInputFor(w, h).exact).toBe(true);
  });

  it("maps a box in the model's resized pixels back to the crop's pixels through the worker's reported size", () => {
    // A 1000 × 500 crop the processor resized to 992 × 512: a feature at crop pixels [100, 50, 300, 250] appears at
    // [100·992/1000, 50·512/500, …] in the model's image; mapping back must give the crop pixels again.
    const input = recordedModelInput(1000, 500, 992, 512);
    expect(input.exact).toBe(false);
    const modelBox = [100 * (992 / 1000), 50 * (512 / 500), 300 * (992 / 1000), 250 * (512 / 500)];
    const frame = { convention: "pixels" as const, input, cropWidth: 1000, cropHeight: 500 };
    const back = toCropPixels(modelBox, frame);
    for (const [i, v] of [100, 50, 300, 250].entries()) expect(back[i]).toBeCloseTo(v, 9);
  });

  it("falls back to the local prediction without a report, and is exact when the crop was snapped", () => {
    expect(recordedModelInput(1000, 500, 0, 0)).toEqual(modelInputFor(1000, 500));
    expect(recordedModelInput(448, 416, 448, 416)).toMatchObject({ exact: true, scaleX: 1, scaleY: 1 });
  });
});

describe("pixelBudgetProblem", () => {
  it("accepts the default and refuses budgets that cannot hold one token or are inverted", () => {
    expect(pixelBudgetProblem(DEFAULT_PIXEL_BUDGET)).toBeNull();
    expect(pixelBudgetProblem({ minPixels: 0, maxPixels: 512 })).toMatch(/at least 1024/);
    expect(pixelBudgetProblem({ minPixels: 5000, maxPixels: 4096 })).toMatch(/above max pixels/);
    expect(pixelBudgetProblem({ minPixels: Number.NaN, maxPixels: 4096 })).toMatch(/numbers/);
  });

  it("a smaller max gives fewer visual tokens for the same crop", () => {
    const full = modelInputFor(448, 416);
    const small = modelInputFor(448, 416, { minPixels: 1024, maxPixels: 224 * 224 });
    expect(full.visualTokens).toBe(182);
    expect(small.width * small.height).toBeLessThanOrEqual(224 * 224);
    expect(small.visualTokens).toBe((small.width / 32) * (small.height / 32));
    expect(small.visualTokens).toBeLessThan(full.visualTokens);
  });
});
