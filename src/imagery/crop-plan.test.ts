import { describe, expect, it } from "vitest";
import { pixelToLngLat } from "../geo/georef";
import { lngLatToWorldPixel } from "../geo/mercator";
import { type BBox, bboxToPixelWindow } from "../geo/tiles";
import { modelInputFor } from "../tasks/model-input-size";
import { planCrop, snapBBoxToModelSize } from "./crop-plan";

const berlin = { west: 13.37, south: 52.51, east: 13.39, north: 52.52 };

describe("planCrop", () => {
  it("sizes the crop in pixels, metres and metres per pixel", () => {
    const result = planCrop(berlin, 17);
    if (!result.valid) throw new Error(result.reason);
    const [w] = lngLatToWorldPixel([berlin.west, berlin.north], 17);
    const [e] = lngLatToWorldPixel([berlin.east, berlin.south], 17);
    expect(result.width).toBe(Math.round(e) - Math.round(w));
    expect(result.gsd).toBeCloseTo(1.1943 * Math.cos((52.515 * Math.PI) / 180), 3);
    expect(result.groundWidthM).toBeCloseTo(result.width * result.gsd, 6);
    expect(result.groundWidthM).toBeGreaterThan(1300);
    expect(result.groundWidthM).toBeLessThan(1400);
  });

  it("places the crop's corners within half a pixel of the selection", () => {
    const result = planCrop(berlin, 16);
    if (!result.valid) throw new Error(result.reason);
    const [west, north] = pixelToLngLat(result.plan.georef, [0, 0]);
    const metresPerDegree = 111_320;
    const halfPixelDeg = (0.5 * result.gsd) / (metresPerDegree * Math.cos((52.5 * Math.PI) / 180));
    expect(Math.abs(west - berlin.west)).toBeLessThanOrEqual(halfPixelDeg * 1.01);
    expect(Math.abs(north - berlin.north) * metresPerDegree).toBeLessThanOrEqual(0.5 * result.gsd * 1.01);
  });

  it("lists every tile that overlaps the window and none that does not", () => {
    const result = planCrop(berlin, 15);
    if (!result.valid) throw new Error(result.reason);
    const { window, tiles } = result.plan;
    for (const { dx, dy } of tiles) {
      expect(dx).toBeGreaterThan(-256);
      expect(dx).toBeLessThan(window.width);
      expect(dy).toBeGreaterThan(-256);
      expect(dy).toBeLessThan(window.height);
    }
    const covered = new Set(tiles.map((t) => `${t.dx},${t.dy}`));
    expect(covered.size).toBe(tiles.length);
  });

  it("refuses a selection over the limit before any fetch, saying how to shrink it", () => {
    const result = planCrop(berlin, 21);
    expect(result.valid).toBe(false);
    if (result.valid) return;
    expect(result.reason).toMatch(/over the 4096 × 4096 px limit/);
    expect(result.reason).toMatch(/Lower the crop zoom to 18 or less/);
  });

  it("applies custom limits and rejects bad zooms and empty areas", () => {
    expect(planCrop(berlin, 17, { maxWidth: 100, maxHeight: 100 }).valid).toBe(false);
    expect(planCrop(berlin, 3.5).valid).toBe(false);
    expect(planCrop({ ...berlin, north: berlin.south }, 10).valid).toBe(false);
  });
});

describe("snapBBoxToModelSize", () => {
  const cases: Array<[string, BBox, number]> = [
    ["mid-latitude", { west: 9.99, south: 47.995, east: 10.003, north: 48.004 }, 17],
    ["near the equator", { west: -60.02, south: -0.01, east: -59.991, north: 0.013 }, 16],
    ["high latitude", { west: 18.9, south: 69.64, east: 18.97, north: 69.66 }, 15],
    ["across the antimeridian", { west: 179.995, south: -16.51, east: -179.993, north: -16.5 }, 16],
  ];

  it.each(cases)(
    "%s: the snapped window has sides that are multiples of 32 and the model sees it unchanged",
    (_, bbox, zoom) => {
      const before = bboxToPixelWindow(bbox, zoom);
      const snapped = snapBBoxToModelSize(bbox, zoom);
      const plan = planCrop(snapped, zoom);
      if (!plan.valid) throw new Error(plan.reason);
      expect(plan.width % 32).toBe(0);
      expect(plan.height % 32).toBe(0);
      expect(Math.abs(plan.width - before.width)).toBeLessThanOrEqual(16);
      expect(Math.abs(plan.height - before.height)).toBeLessThanOrEqual(16);
      expect(modelInputFor(plan.width, plan.height).exact).toBe(true);
      const after = plan.plan.window;
      const centre = (w: { left: number; width: number }) => w.left + w.width / 2;
      expect(Math.abs(centre(after) - centre(before))).toBeLessThanOrEqual(1);
      expect(Math.abs(after.top + after.height / 2 - (before.top + before.height / 2))).toBeLessThanOrEqual(1);
    },
  );

  it("shrinks a selection over the pixel budget into it, keeping the aspect ratio within a tile of 32", () => {
    const bbox = { west: 9.99, south: 47.99, east: 10.02, north: 48.006 };
    const budget = { minPixels: 4 * 1024, maxPixels: 256 * 1024 };
    const snapped = planCrop(snapBBoxToModelSize(bbox, 17, budget), 17);
    if (!snapped.valid) throw new Error(snapped.reason);
    expect(snapped.width * snapped.height).toBeLessThanOrEqual(budget.maxPixels);
    expect(modelInputFor(snapped.width, snapped.height, budget).exact).toBe(true);
    const before = bboxToPixelWindow(bbox, 17);
    expect(Math.abs(snapped.width / snapped.height - before.width / before.height)).toBeLessThan(0.2);
  });

  it("leaves an already snapped selection as it is", () => {
    const bbox = snapBBoxToModelSize(cases[0][1], 17);
    expect(bboxToPixelWindow(snapBBoxToModelSize(bbox, 17), 17)).toEqual(bboxToPixelWindow(bbox, 17));
  });
});
