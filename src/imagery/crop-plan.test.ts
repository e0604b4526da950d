import { describe, expect, it } from "vitest";
import { pixelToLngLat } from "../geo/georef";
import { lngLatToWorldPixel } from "../geo/mercator";
import { planCrop } from "./crop-plan";

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
