import { describe, expect, it } from "vitest";
import { DEFAULT_PIXEL_BUDGET, modelInputFor, pixelBudgetProblem, smartResize } from "./model-input-size";

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
