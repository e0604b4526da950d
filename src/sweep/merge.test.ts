import { describe, expect, it } from "vitest";
import { countByLabel, iou, type MergedBox, mergeBoxes, type SweepBox } from "./merge";
import type { PixelRect } from "./plan";

// Four chips of 100 px with 20 px of overlap (a stride of 80), two by two:
//
//   0 ─────────────── 80 ──── 100 ─────────── 180
//   │ chip 0          │ band  │                │
//   │          chip 1 │       │                │
//  80 ─ ─ ─ ─ ─ ─ ─ ─ ┼ ─ ─ ─ ┼ ─ ─ ─ ─ ─ ─ ─ ─
//   │ chip 2          │       │ chip 3         │
// 180 ───────────────────────────────────────────
const CHIPS: PixelRect[] = [
  [0, 0, 100, 100],
  [80, 0, 180, 100],
  [0, 80, 100, 180],
  [80, 80, 180, 180],
];

/** The part of an object a chip sees (its box clipped to the chip), as that chip's answer would give it. */
function seen(object: PixelRect, chip: number, label = "roof"): SweepBox[] {
  const c = CHIPS[chip];
  const box: PixelRect = [
    Math.max(object[0], c[0]),
    Math.max(object[1], c[1]),
    Math.min(object[2], c[2]),
    Math.min(object[3], c[3]),
  ];
  if (box[2] <= box[0] || box[3] <= box[1]) return [];
  return [{ box, label, chip, chipRect: c }];
}

/** Every chip's view of every object, chip by chip (the order records come in). */
function sweep(objects: PixelRect[], label = "roof"): SweepBox[] {
  return CHIPS.flatMap((_, chip) => objects.flatMap((object) => seen(object, chip, label)));
}

const boxesOf = (merged: MergedBox[]) => merged.map((m) => m.box);

describe("mergeBoxes", () => {
  it("joins an object cut by a chip edge and seen in two chips into one box", () => {
    const object: PixelRect = [60, 20, 130, 50];
    // Chip 0 sees [60, 20, 100, 50] (cut at its right edge), chip 1 sees [80, 20, 130, 50] (cut at its left edge);
    // clipped to the band both saw, [80, 0, 100, 100], both are [80, 20, 100, 50]: IoU 1.
    const boxes = sweep([object]);
    expect(boxes.map((b) => b.box)).toEqual([
      [60, 20, 100, 50],
      [80, 20, 130, 50],
    ]);
    for (const method of ["nms", "wbf"] as const) {
      const merged = mergeBoxes(boxes, { method, iouThreshold: 0.5 });
      expect(merged).toEqual([{ box: object, label: "roof", chips: [0, 1], parts: 2, score: 1 }]);
    }
  });

  it("joins an object on the corner of four chips into one box", () => {
    const object: PixelRect = [70, 70, 120, 130];
    const boxes = sweep([object]);
    expect(boxes.map((b) => b.box)).toEqual([
      [70, 70, 100, 100],
      [80, 70, 120, 100],
      [70, 80, 100, 130],
      [80, 80, 120, 130],
    ]);
    const merged = mergeBoxes(boxes, { method: "nms", iouThreshold: 0.5 });
    expect(merged).toEqual([{ box: object, label: "roof", chips: [0, 1, 2, 3], parts: 4, score: 1 }]);
  });

  it("keeps two distinct objects that touch apart, within a chip and across a chip edge", () => {
    // Within chip 0: two roofs side by side, sharing the edge x = 30 (IoU 0).
    const inside = mergeBoxes(
      sweep([
        [10, 10, 30, 30],
        [30, 10, 50, 30],
      ]),
    );
    expect(boxesOf(inside)).toEqual([
      [10, 10, 30, 30],
      [30, 10, 50, 30],
    ]);
    // Across chip 0's right edge: X ends where Y starts, at x = 100. Chip 0 sees X whole but touching its edge (so
    // cut), chip 1 sees X's part [80, 100] and Y whole. In the band [80, 100] X covers [80, 100] and Y nothing.
    const x: PixelRect = [50, 20, 100, 50];
    const y: PixelRect = [100, 20, 150, 50];
    const merged = mergeBoxes(sweep([x, y]), { method: "nms", iouThreshold: 0.5 });
    expect(merged.map((m) => [m.box, m.chips])).toEqual([
      [x, [0, 1]],
      [y, [1]],
    ]);
  });

  it("suppresses duplicates in an overlap (NMS keeps the preferred, WBF averages)", () => {
    // A roof wholly inside the band, seen whole by chips 0 and 1; chip 1 writes it a pixel off.
    const boxes: SweepBox[] = [
      { box: [85, 30, 95, 40], label: "roof", chip: 0, chipRect: CHIPS[0] },
      { box: [86, 30, 96, 41], label: "roof", chip: 1, chipRect: CHIPS[1] },
    ];
    // IoU: intersection 9 × 10 = 90 over 100 + 110 − 90 = 120: 0.75.
    expect(iou(boxes[0].box, boxes[1].box)).toBeCloseTo(0.75, 12);
    // NMS keeps the larger of two equally scored boxes.
    expect(mergeBoxes(boxes, { method: "nms", iouThreshold: 0.5 })).toEqual([
      { box: [86, 30, 96, 41], label: "roof", chips: [0, 1], parts: 2, score: 1 },
    ]);
    expect(mergeBoxes(boxes, { method: "wbf", iouThreshold: 0.5 })).toEqual([
      { box: [85.5, 30, 95.5, 40.5], label: "roof", chips: [0, 1], parts: 2, score: 1 },
    ]);
    // Above their IoU they are two objects.
    expect(mergeBoxes(boxes, { method: "nms", iouThreshold: 0.8 })).toHaveLength(2);
    expect(mergeBoxes(boxes, { method: "wbf", iouThreshold: 0.8 })).toHaveLength(2);
  });

  it("prefers the whole view of an object over a chip's cut part of it", () => {
    // Chip 0 sees [70, 95] whole (5 px from its edge); chip 1 sees [80, 95], cut by its left edge.
    const merged = mergeBoxes(sweep([[70, 20, 95, 50]]));
    expect(merged).toEqual([{ box: [70, 20, 95, 50], label: "roof", chips: [0, 1], parts: 2, score: 1 }]);
  });

  it("keeps labels apart (compared without case), and counts per label", () => {
    const object: PixelRect = [60, 20, 130, 50];
    const boxes = [...seen(object, 0, "Tank"), ...seen(object, 1, "tank "), ...seen(object, 1, "roof")];
    const merged = mergeBoxes(boxes);
    expect(merged.map((m) => [m.label, m.box])).toEqual([
      ["roof", [80, 20, 130, 50]],
      ["Tank", object],
    ]);
    const more = mergeBoxes([...boxes, ...sweep([[10, 110, 30, 130]], "tank")]);
    expect(countByLabel(more)).toEqual([
      { label: "Tank", count: 2 },
      { label: "roof", count: 1 },
    ]);
  });

  it("returns the same objects whatever order the chips' boxes come in", () => {
    const objects: PixelRect[] = [
      [60, 20, 130, 50],
      [70, 70, 120, 130],
      [10, 10, 30, 30],
      [140, 140, 170, 175],
    ];
    const boxes = sweep(objects);
    const forward = mergeBoxes(boxes);
    expect(mergeBoxes([...boxes].reverse())).toEqual(forward);
    expect(boxesOf(forward)).toEqual([objects[2], objects[0], objects[1], objects[3]]);
  });

  it("refuses a threshold outside (0, 1]", () => {
    expect(() => mergeBoxes(sweep([[1, 1, 5, 5]]), { method: "nms", iouThreshold: 0 })).toThrow(/outside \(0, 1\]/);
  });
});
