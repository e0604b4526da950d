import { describe, expect, it } from "vitest";
import { crsFromGeoKeys, crsToLngLat } from "../geo/crs";
import { pixelToCrs } from "../geo/georef";
import { lngLatToWorldPixel, worldPixelToLngLat } from "../geo/mercator";
import { type BBox, bboxToPixelWindow } from "../geo/tiles";
import type { RasterInfo } from "../imagery/raster/open-raster";
import {
  type Chip,
  checkShard,
  chipAt,
  parseShard,
  planChips,
  planSweep,
  rectGeoref,
  type SweepPlan,
  type SweepSource,
  shardRange,
} from "./plan";

const TILES: SweepSource = { kind: "tiles", tileSize: 256, maxZoom: 19 };

/** A bbox whose window at `zoom` is exactly `width × height` px from the global pixel (left, top). */
function exactBBox(left: number, top: number, width: number, height: number, zoom: number): BBox {
  const [west, north] = worldPixelToLngLat([left, top], zoom);
  const [east, south] = worldPixelToLngLat([left + width, top + height], zoom);
  return { west, south, east, north };
}

function valid(result: ReturnType<typeof planSweep>): SweepPlan {
  if (!result.valid) throw new Error(result.reason);
  return result.plan;
}

/** Checks that the chips cover `selection`, that neighbours share exactly `overlap` px and that all are `size` px. */
function expectTiling(chips: Chip[], plan: SweepPlan, overlap: number, size: number): void {
  const [l, t, r, b] = plan.selection;
  for (const chip of chips) {
    const [cl, ct, cr, cb] = chip.rect;
    expect([cr - cl, cb - ct]).toEqual([size, size]);
    const right = chips.find((c) => c.row === chip.row && c.col === chip.col + 1);
    if (right) expect(cr - right.rect[0]).toBe(overlap);
    const below = chips.find((c) => c.col === chip.col && c.row === chip.row + 1);
    if (below) expect(cb - below.rect[1]).toBe(overlap);
  }
  expect(Math.min(...chips.map((c) => c.rect[0]))).toBeLessThanOrEqual(l);
  expect(Math.min(...chips.map((c) => c.rect[1]))).toBeLessThanOrEqual(t);
  expect(Math.max(...chips.map((c) => c.rect[2]))).toBeGreaterThanOrEqual(r);
  expect(Math.max(...chips.map((c) => c.rect[3]))).toBeGreaterThanOrEqual(b);
}

describe("planSweep in Web Mercator", () => {
  const [x, y] = lngLatToWorldPixel([10, 48], 17).map(Math.round);
  const bbox = exactBBox(x, y, 1000, 700, 17);

  it("tiles the selection with chips of the asked size and overlap, centred, and counts them", () => {
    const plan = valid(planSweep(TILES, bbox, { resolution: 17, chipSize: 448, overlap: 0.15 }));
    // 15 % of 448 px is 67.2 px: 67 px shared, a stride of 381 px; 1000 px need 3 columns (448 + 2 × 381 = 1210),
    // 700 px need 2 rows (829 px).
    expect([plan.overlapPx, plan.stride, plan.cols, plan.rows, plan.chipCount]).toEqual([67, 381, 3, 2, 6]);
    expect(plan.selection).toEqual([x, y, x + 1000, y + 700]);
    // The lattice is centred: (1210 - 1000) / 2 = 105 px before the selection, (829 - 700) / 2 → 64 px above.
    expect(plan.origin).toEqual([x - 105, y - 64]);
    expect(plan.pixels).toBe(6 * 448 * 448);
    const chips = planChips(plan);
    expect(chips.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(chips[4]).toMatchObject({ row: 1, col: 1, coverage: "full" });
    expectTiling(chips, plan, 67, 448);
  });

  it("gives each chip a bbox that the crop code turns back into exactly its pixels", () => {
    const plan = valid(planSweep(TILES, bbox, { resolution: 17, chipSize: 448, overlap: 0.15 }));
    for (const chip of planChips(plan)) {
      const window = bboxToPixelWindow(chip.bbox, 17);
      expect([window.left, window.top, window.left + window.width, window.top + window.height]).toEqual(chip.rect);
      const georef = rectGeoref(plan.grid, chip.rect);
      expect(pixelToCrs(georef, [0, 0])[0]).toBeCloseTo(pixelToCrs(plan.grid.georef, [chip.rect[0], 0])[0], 6);
    }
  });

  it("takes other overlaps and chip sizes; one chip for a selection smaller than a chip", () => {
    const none = valid(planSweep(TILES, bbox, { resolution: 17, chipSize: 256, overlap: 0 }));
    expect([none.stride, none.cols, none.rows]).toEqual([256, 4, 3]);
    expectTiling(planChips(none), none, 0, 256);
    const half = valid(planSweep(TILES, bbox, { resolution: 17, chipSize: 512, overlap: 0.5 }));
    expect([half.overlapPx, half.cols, half.rows]).toEqual([256, 3, 2]);
    expectTiling(planChips(half), half, 256, 512);
    const small = valid(
      planSweep(TILES, exactBBox(x, y, 100, 50, 17), { resolution: 17, chipSize: 448, overlap: 0.15 }),
    );
    expect([small.cols, small.rows, small.chipCount]).toEqual([1, 1, 1]);
    expect(small.origin).toEqual([x - 174, y - 199]);
  });

  it("skips and counts chips outside the source's extent; refuses a selection with no imagery", () => {
    const extent = exactBBox(x, y, 600, 2000, 17);
    const plan = valid(planSweep({ ...TILES, extent }, bbox, { resolution: 17, chipSize: 448, overlap: 0.15 }));
    // Columns start at x - 105, x + 276, x + 657: the third lies beyond the extent's east edge (x + 600).
    expect([plan.chipCount, plan.outsideCount]).toEqual([4, 2]);
    const extentPx: [number, number, number, number] = [x, y, x + 600, y + 2000];
    expect(planChips(plan, extentPx).map((c) => c.coverage)).toEqual([
      "full",
      "full",
      "outside",
      "full",
      "full",
      "outside",
    ]);
    const far = exactBBox(x + 5000, y, 500, 500, 17);
    const refused = planSweep({ ...TILES, extent }, far, { resolution: 17, chipSize: 448, overlap: 0.15 });
    expect(refused).toMatchObject({ valid: false, problem: { kind: "no-imagery" } });
  });

  it("refuses a plan over the chip limit with its numbers and the nearest plan that fits", () => {
    const large = exactBBox(x, y, 20_000, 20_000, 17);
    const result = planSweep(TILES, large, { resolution: 17, chipSize: 448, overlap: 0.15 }, { maxChips: 1000 });
    if (result.valid) throw new Error("expected a refusal");
    // 20,000 px: 53 columns and rows of 381 px strides → 2809 chips.
    expect(result.problem).toEqual({ kind: "too-many", chips: 2809, limit: 1000 });
    expect(result.reason).toContain("2809 chips of 448 px with 15 % overlap (53 × 53), over the limit of 1000");
    // At zoom 16 the area is 10,000 px: 27 × 27 = 729 chips fit.
    expect(result.nearest).toEqual({ settings: { resolution: 16, chipSize: 448, overlap: 0.15 }, chips: 729 });
    expect(result.reason).toContain("Nearest plan that fits: zoom 16, 729 chips");
    expect(
      planSweep(TILES, large, result.nearest?.settings ?? { resolution: 0, chipSize: 0, overlap: 0 }, {
        maxChips: 1000,
      }).valid,
    ).toBe(true);
  });

  it("refuses chips the model would resize, overlaps out of range, missing zooms and flat selections", () => {
    const plan = (settings: { resolution: number; chipSize: number; overlap: number }) =>
      planSweep(TILES, bbox, settings);
    expect(plan({ resolution: 17, chipSize: 450, overlap: 0.15 })).toMatchObject({ problem: { kind: "chip-size" } });
    expect(plan({ resolution: 17, chipSize: 32, overlap: 0.15 })).toMatchObject({ problem: { kind: "chip-size" } });
    expect(plan({ resolution: 17, chipSize: 4128, overlap: 0.15 })).toMatchObject({ problem: { kind: "chip-size" } });
    const refused = plan({ resolution: 17, chipSize: 450, overlap: 0.15 });
    expect(refused.valid ? "" : refused.reason).toContain("a multiple of 32 from 64 to 4096 px");
    expect(plan({ resolution: 17, chipSize: 448, overlap: 0.8 })).toMatchObject({ problem: { kind: "overlap" } });
    expect(plan({ resolution: 20, chipSize: 448, overlap: 0.1 })).toMatchObject({ problem: { kind: "resolution" } });
    const flat = planSweep(TILES, { ...bbox, south: bbox.north }, { resolution: 17, chipSize: 448, overlap: 0.1 });
    expect(flat).toMatchObject({ problem: { kind: "no-height" } });
  });
});

const crs = await crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32632 });
if (!crs?.valid) throw new Error("no UTM CRS");

describe("planSweep in a UTM raster's own grid", () => {
  // 10 m pixels from (560000 E, 5330000 N), 3000 × 2000 px, and overviews at 1/2 and 1/4.
  const info: Pick<RasterInfo, "name" | "levels" | "georef" | "bbox"> = {
    name: "utm.tif",
    levels: [
      { width: 3000, height: 2000 },
      { width: 1500, height: 1000 },
      { width: 750, height: 500 },
    ],
    georef: { width: 3000, height: 2000, transform: [560000, 10, 0, 5330000, 0, -10], crs: crs.crs },
    bbox: { west: 0, south: 0, east: 0, north: 0 },
  };
  const source: SweepSource = { kind: "raster", info };
  /** A bbox (degrees) around raster pixels [l, t, r, b] at full resolution, inset so that rounding keeps them. */
  const around = (l: number, t: number, r: number, b: number): BBox => {
    const corners = [
      [l, t],
      [r, t],
      [r, b],
      [l, b],
    ].map(([c, row]) => crsToLngLat(crs.crs, [560000 + c * 10, 5330000 - row * 10]));
    // The UTM grid is turned against true north: the corners' bbox covers a little more than the window.
    return {
      west: Math.max(corners[0][0], corners[3][0]),
      east: Math.min(corners[1][0], corners[2][0]),
      north: Math.min(corners[0][1], corners[1][1]),
      south: Math.max(corners[2][1], corners[3][1]),
    };
  };

  it("cuts chips in the raster's pixels with the asked overlap, georeferenced by its own transform", () => {
    const plan = valid(
      planSweep(source, around(400, 300, 1400, 1100), { resolution: 0, chipSize: 256, overlap: 0.25 }),
    );
    expect(plan.grid).toMatchObject({ kind: "raster", level: 0 });
    expect([plan.overlapPx, plan.stride]).toEqual([64, 192]);
    const [l, t, r, b] = plan.selection;
    // The inset bbox lies within a few pixels of the window asked for.
    expect(Math.abs(l - 400) + Math.abs(t - 300) + Math.abs(r - 1400) + Math.abs(b - 1100)).toBeLessThan(40);
    expect(plan.cols).toBe(Math.ceil((r - l - 256) / 192) + 1);
    expect(plan.rows).toBe(Math.ceil((b - t - 256) / 192) + 1);
    const chips = planChips(plan);
    expect(chips.every((c) => c.coverage === "full")).toBe(true);
    expectTiling(chips, plan, 64, 256);
    // A chip's georeference is the raster's, moved to the chip: 10 m pixels, its corner at the raster's metres.
    const chip = chips[plan.cols + 1];
    const georef = rectGeoref(plan.grid, chip.rect);
    expect(georef.crs?.id).toBe("EPSG:32632");
    expect(georef.transform).toEqual([560000 + chip.rect[0] * 10, 10, 0, 5330000 - chip.rect[1] * 10, 0, -10]);
    expect(plan.gsd).toBeCloseTo(10, 6);
  });

  it("plans on an overview in its pixels, and clips chips at the raster's edge (partly covered)", () => {
    const plan = valid(
      planSweep(source, around(2200, 1200, 2990, 1990), { resolution: 1, chipSize: 128, overlap: 0.15 }),
    );
    expect(plan.grid.georef.transform).toEqual([560000, 20, 0, 5330000, 0, -20]);
    expect(plan.gsd).toBeCloseTo(20, 6);
    // The selection reaches the raster's south-east corner at level 1 (1500 × 1000): the lattice is pulled inside it.
    const chips = planChips(plan);
    expect(Math.max(...chips.map((c) => c.rect[2]))).toBe(1500);
    expect(Math.max(...chips.map((c) => c.rect[3]))).toBe(1000);
    expectTiling(chips, plan, 19, 128);
  });

  it("counts chips beyond the raster as outside, and clips the chips on its edge", () => {
    // A selection from 500 px inside the east edge to 500 px beyond it (the bbox of pixels past the edge).
    const plan = valid(planSweep(source, around(2500, 800, 3500, 1200), { resolution: 0, chipSize: 256, overlap: 0 }));
    const chips = planChips(plan);
    const outside = chips.filter((c) => c.coverage === "outside");
    const partial = chips.filter((c) => c.coverage === "partial");
    expect(outside.length).toBe(plan.outsideCount);
    expect(plan.outsideCount).toBeGreaterThan(0);
    expect(plan.chipCount + plan.outsideCount).toBe(plan.cols * plan.rows);
    for (const chip of partial) expect(chip.rect[2]).toBe(3000);
  });
});

describe("shards", () => {
  it("split the chip indices into consecutive ranges covering each once", () => {
    const ranges = [0, 1, 2].map((index) => shardRange({ index, count: 3 }, 10));
    expect(ranges).toEqual([
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
    expect(shardRange({ index: 4, count: 5 }, 3)).toEqual([2, 3]);
  });

  it("are read from i/n and refused beyond the count", () => {
    expect(parseShard("1/3")).toEqual({ valid: true, shard: { index: 1, count: 3 } });
    expect(parseShard("3/3")).toMatchObject({ valid: false, reason: expect.stringContaining("beyond the count of 3") });
    expect(parseShard("x")).toMatchObject({ valid: false });
    expect(checkShard(0, 0)).toMatchObject({ valid: false });
  });

  it("chipAt refuses an index outside the plan", () => {
    const plan = valid(
      planSweep(TILES, exactBBox(1000, 1000, 500, 500, 17), { resolution: 17, chipSize: 448, overlap: 0 }),
    );
    expect(() => chipAt(plan, plan.cols * plan.rows)).toThrow(/not in this plan of 4 chips/);
  });
});
