import { describe, expect, it } from "vitest";
import type { ReviewMark, SampleRecord } from "../eval/record-format";
import { groundingMetrics } from "../eval/score";
import { georefForWorldWindow, pixelToLngLat } from "../geo/georef";
import { findBoxes } from "../tasks/boxes";
import { recordsCsv, recordsJsonl, sampleGeoJson } from "./export";
import { DEFAULT_FILTER, filterRows, type RowFilter, type SortOrder, stepThrough } from "./filter";
import { ImageIndex } from "./images";
import { compareWithReference } from "./reference";
import { iouText, outcomeOf, toRow } from "./rows";
import { parseProblem, predictionsToDraw, sampleGeometry } from "./sample";
import { DEFAULT_VIEW, readKeptView } from "./store";
import { chooseSubset } from "./subset";

function record(id: number, answer: string, score: number | null, bucket?: "S" | "M" | "L"): SampleRecord {
  const box = /\[(\d+), (\d+), (\d+), (\d+)\]/.exec(answer);
  return {
    id: `${id}:img-${id}.png`,
    index: id,
    image: `img-${id}.png`,
    task: "grounding",
    model: "m",
    instruction: `find thing ${id}`,
    raw_output: `thinking ${id}<answer>${answer}</answer>`,
    answer,
    label: "[10, 10, 50, 50]",
    score,
    ...(score === null ? {} : { hit: score >= 0.5 && box !== null, bucket }),
    predicted_box: box ? (box.slice(1).map(Number) as [number, number, number, number]) : null,
    image_size: [112, 112],
    box_reading: { convention: "pixels", factor: 28 },
    tokens: 1,
    seconds: 1,
    seed: 42 + id,
    decoding: "sample",
  };
}

const records = [
  record(0, "[10, 10, 50, 50]", 1, "M"),
  record(1, "[30, 30, 70, 70]", 0.2, "M"),
  record(2, "nothing here", 0, "S"),
  record(3, "[1, 2, 3]", 0, "L"),
  record(4, "[12, 10, 50, 50]", 0.55, "L"),
  record(5, "[12, 10, 50, 50]", null),
];
const rows = records.map(toRow);
const ids = (order: number[]) => order.map((i) => rows[i].index);

describe("sample list rows and filters", () => {
  it("reads parse failures and the missing reference from the records", () => {
    expect(rows.map((r) => r.parse)).toEqual(["box", "box", "no-box", "malformed", "box", "no-reference"]);
  });
  it("sorts worst first with uncounted samples last, or by index", () => {
    expect(ids(filterRows(rows, DEFAULT_FILTER, 0.5))).toEqual([2, 3, 1, 4, 0, 5]);
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, sort: "best" }, 0.5))).toEqual([0, 4, 1, 2, 3, 5]);
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, sort: "index" }, 0.5))).toEqual([0, 1, 2, 3, 4, 5]);
  });
  it("filters by outcome at the threshold, bucket, parse failure and text", () => {
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, outcome: "miss" }, 0.5))).toEqual([2, 3, 1]);
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, outcome: "miss" }, 0.6))).toEqual([2, 3, 1, 4]);
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, outcome: "hit" }, 0.1))).toEqual([1, 4, 0]);
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, buckets: ["L", "S"] }, 0.5))).toEqual([2, 3, 4]);
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, parse: "failures" }, 0.5))).toEqual([2, 3]);
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, parse: "malformed" }, 0.5))).toEqual([3]);
    expect(ids(filterRows(rows, { ...DEFAULT_FILTER, text: "THING 4" }, 0.5))).toEqual([4]);
  });
  it("filters by the reviewer's mark and by an IoU range of readable boxes, as a histogram bar covers it", () => {
    const marks = new Map<string, ReviewMark>([
      ["1:img-1.png", { verdict: "wrong-reference", note: "" }],
      ["4:img-4.png", { verdict: "correct", note: "" }],
      ["0:img-0.png", { verdict: null, note: "a note only" }],
    ]);
    const by = (filter: Partial<RowFilter>) => ids(filterRows(rows, { ...DEFAULT_FILTER, ...filter }, 0.5, marks));
    expect(by({ mark: "unmarked" })).toEqual([2, 3, 0, 5]);
    expect(by({ mark: "marked" })).toEqual([1, 4]);
    expect(by({ mark: "correct" })).toEqual([4]);
    expect(by({ iou: { from: 0.5, to: 0.6 } })).toEqual([4]);
    expect(by({ iou: { from: 0.9, to: 1 } })).toEqual([0]);
    expect(by({ iou: { from: 0.2, to: 0.3 } })).toEqual([1]);
    // IoU 0 of an answer without a readable box is in no bin, as the histogram leaves it out.
    expect(by({ iou: { from: 0, to: 0.1 } })).toEqual([]);
  });
  it("sorts by the reference box's area (no reference last) or by image, ties in file order", () => {
    const sized = [
      { ...records[0], id: "a", index: 0, image: "b.png", label: "[0, 0, 40, 40]" },
      { ...records[1], id: "b", index: 1, image: "a.png", label: "[0, 0, 10, 10]" },
      { ...records[2], id: "c", index: 2, image: "b.png", label: "no box here" },
      { ...records[3], id: "d", index: 3, image: "a.png", label: "[5, 5, 25, 25]" },
    ].map(toRow);
    const sorted = (sort: SortOrder) => filterRows(sized, { ...DEFAULT_FILTER, sort }, 0.5).map((i) => sized[i].id);
    expect(sized.map((r) => r.area)).toEqual([1600, 100, null, 400]);
    expect(sorted("area-small")).toEqual(["b", "d", "a", "c"]);
    expect(sorted("area-large")).toEqual(["a", "d", "b", "c"]);
    expect(sorted("image")).toEqual(["b", "d", "a", "c"]);
  });
  it("reads a kept view field by field, taking defaults for what is missing or invalid", () => {
    const kept = {
      filter: { outcome: "miss", buckets: ["S", "X"], mark: "ambiguous", iou: { from: 0.3, to: 0.4 }, sort: "image" },
      threshold: 0.425,
      zoom: "boxes",
    };
    expect(readKeptView(kept)).toEqual({
      filter: {
        ...DEFAULT_FILTER,
        outcome: "miss",
        buckets: ["S"],
        mark: "ambiguous",
        iou: { from: 0.3, to: 0.4 },
        sort: "image",
      },
      threshold: 0.425,
      zoom: "boxes",
    });
    expect(readKeptView({ filter: { sort: "sideways", iou: { from: 2, to: 1 } }, threshold: 7 })).toEqual(DEFAULT_VIEW);
    expect(readKeptView(undefined)).toEqual(DEFAULT_VIEW);
  });
  it("counts as hits exactly what the evaluation's summary counts, at any threshold, odd records included", () => {
    // A hand-edited record: an IoU but no readable box; the evaluation's isHit calls it a miss, so must the list.
    const odd = { ...records[0], id: "9:odd.png", index: 9, predicted_box: null, score: 0.9 };
    const all = [...records, odd];
    for (const threshold of [0.1, 0.2, 0.5, 0.55, 0.9, 1]) {
      const hits = all.map(toRow).filter((row) => outcomeOf(row, threshold) === "hit").length;
      const { accuracy, counted } = groundingMetrics(all, threshold);
      expect(hits).toBe(Math.round((accuracy * counted) / 100));
    }
  });
  it("steps through the filtered order, clamped at the ends", () => {
    const order = ["a", "b", "c"];
    expect(stepThrough(order, "b", 1)).toBe("c");
    expect(stepThrough(order, "c", 1)).toBe("c");
    expect(stepThrough(order, "a", -1)).toBe("a");
    expect(stepThrough(order, "gone", 1)).toBe("a");
    expect(stepThrough([], "a", 1)).toBeNull();
  });
});

describe("chooseSubset", () => {
  const all = ["a", "b", "c", "d", "e", "f"];
  it("takes the first N, N at random with a seed (the same for the same seed), or the filtered ids", () => {
    expect(chooseSubset(all, { kind: "first", count: 2 })).toEqual(["a", "b"]);
    const random = chooseSubset(all, { kind: "random", count: 3, seed: 7 });
    expect(random).toHaveLength(3);
    expect(chooseSubset(all, { kind: "random", count: 3, seed: 7 })).toEqual(random);
    expect(random).toEqual([...random].sort());
    expect(chooseSubset(all, { kind: "ids", ids: ["e", "zz", "b"] })).toEqual(["b", "e"]);
  });
});

describe("ImageIndex", () => {
  const index = new ImageIndex([
    ["images/a.png", 1],
    ["images/sub/b.png", 2],
    ["images/x/c.png", 3],
    ["images/y/c.png", 4],
  ]);
  it("finds images by exact path or by their longest unique path tail, absolute paths included", () => {
    expect(index.find("images/a.png")).toBe(1);
    expect(index.find("a.png")).toBe(1);
    expect(index.find("/data/DIOR/sub/b.png")).toBe(2);
    expect(index.find("x/c.png")).toBe(3);
    expect(index.find("c.png")).toBeNull();
    expect(index.find("missing.png")).toBeNull();
  });
});

describe("sampleGeometry", () => {
  it("draws the scored box for one box with the record's IoU", () => {
    const one = sampleGeometry(records[4], null);
    expect(one?.reference).toEqual([10, 10, 50, 50]);
    expect(one?.boxes.map((b) => b.pixels)).toEqual([[12, 10, 50, 50]]);
    expect(one?.ious.get(0)).toBe(0.55);
    expect(one && predictionsToDraw(one)).toMatchObject([{ index: 0, iou: 0.55, scored: true }]);
  });
  it("scores no box of a two-box answer, as GeoZero's evaluation reads it: a miss with no IoU anywhere", () => {
    // Both boxes are readable and the first equals the reference; GeoZero reads 10 numbers and scores a miss.
    const answer = '[{"bbox_2d": [10, 10, 50, 50], "label": "a"}, {"bbox_2d": [30, 30, 70, 70], "label": "b"}]';
    const two = sampleGeometry({ ...records[0], answer, score: 0, hit: false, predicted_box: null }, null);
    if (!two) throw new Error("no geometry");
    expect(two.written).toEqual({ status: "malformed", numbers: [2, 10, 10, 50, 50, 2, 30, 30, 70, 70] });
    expect(two.boxes).toHaveLength(2);
    expect(two.scored).toBeNull();
    expect(two.ious.size).toBe(0);
    expect(predictionsToDraw(two).map((b) => [b.iou, b.scored])).toEqual([
      [null, false],
      [null, false],
    ]);
    expect(outcomeOf(toRow({ ...records[0], answer, score: 0, predicted_box: null }), 0.5)).toBe("miss");
    expect(iouText(toRow({ ...records[0], answer, score: 0, predicted_box: null }))).toBe("no IoU");
  });
  it("says what GeoZero's reading counted: boxes apart from the numbers, the 2 of each bbox_2d named", () => {
    const frame = {
      convention: "pixels" as const,
      input: { width: 112, height: 112, scaleX: 1, scaleY: 1 },
      cropWidth: 112,
      cropHeight: 112,
    };
    const problem = (answer: string) => parseProblem(answer, findBoxes(answer, frame));
    expect(problem('[{"bbox_2d": [1, 2, 30, 40]}, {"bbox_2d": [5, 6, 70, 80]}]')).toBe(
      'The answer holds 2 boxes; GeoZero\'s evaluation reads a single box: every number between the first [ and the last ] — 10 here, 2 of them not coordinates (such as the 2 of each "bbox_2d") — and needs exactly 4, so it counts a miss (an answer with several boxes never scores).',
    );
    // The first "bbox_2d" lies before the first [: GeoZero counts 9.
    expect(problem('{"bbox_2d": [1, 2, 30, 40]} {"bbox_2d": [5, 6, 70, 80]}')).toMatch(/— 9 here, 1 of them not/);
    expect(problem("[1, 2, 30, 40] and [5, 6, 70, 80]")).toMatch(/holds 2 boxes; .* — 8 here — and needs exactly 4/);
    expect(problem('[{"bbox_2d": [1, 2, 30, 40]}]')).toMatch(/holds one box; .* — 5 here, 1 of them not coordinates/);
    expect(problem("[137, 16, 252]")).toMatch(/holds 3 numbers between its first \[ and last \]; .* needs exactly 4/);
    expect(problem("nothing")).toMatch(/holds no box/);
    expect(problem("[1, 2, 30, 40]")).toBeNull();
  });
  it("shows the resize chain: 112 px seen as 112 px, read as pixels of 112 at factor 28", () => {
    const g = sampleGeometry({ ...records[0], image_size: [800, 600] }, null);
    expect(g?.modelSaw).toEqual({ width: 800, height: 608 });
    expect(g?.assumed).toEqual({ width: 812, height: 588 });
  });
});

describe("exports", () => {
  const marks = new Map<string, ReviewMark>([
    ["1:img-1.png", { verdict: "wrong-reference", note: 'says "near", 2 m' }],
  ]);
  it("writes records as results.jsonl with the marks, and CSV with quoted cells", () => {
    const jsonl = recordsJsonl(records.slice(0, 2), marks)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(jsonl[0].review).toBeUndefined();
    expect(jsonl[1].review).toEqual({ verdict: "wrong-reference", note: 'says "near", 2 m' });
    const csv = recordsCsv(records.slice(1, 4), marks, 0.5).split("\r\n");
    expect(csv[0]).toBe(
      "id,index,image,model,iou,outcome,threshold,bucket,box_reading,reference_box,predicted_box,answer,verdict,note",
    );
    expect(csv[1]).toBe(
      '1:img-1.png,1,img-1.png,m,0.2,miss,0.5,M,pixels 28,"[10, 10, 50, 50]",30 30 70 70,"[30, 30, 70, 70]",wrong-reference,"says ""near"", 2 m"',
    );
    expect(csv[2]).toContain(",m,,miss (no-box),");
    expect(csv[3]).toContain(",m,,miss (malformed),");
  });
  it("writes a georeferenced sample's reference and prediction as GeoJSON with the IoU", () => {
    const georef = georefForWorldWindow({ left: 1000, top: 1000, width: 112, height: 112 }, 17);
    const geometry = sampleGeometry(records[4], null);
    if (!geometry) throw new Error("no geometry");
    const collection = sampleGeoJson(records[4], geometry, georef);
    expect(collection.features.map((f) => f.properties?.role)).toEqual(["prediction", "reference"]);
    expect(collection.features[0].properties).toMatchObject({
      iou: 0.55,
      pixels: [12, 10, 50, 50],
      sample: "4:img-4.png",
    });
    expect(collection.features[1].properties).toMatchObject({ pixels: [10, 10, 50, 50] });
  });
});

describe("a two-box answer's GeoJSON", () => {
  it("carries no IoU and says neither box was scored", () => {
    const georef = georefForWorldWindow({ left: 1000, top: 1000, width: 112, height: 112 }, 17);
    const answer = '{"bbox_2d": [10, 10, 50, 50]} {"bbox_2d": [30, 30, 70, 70]}';
    const record = { ...records[0], answer, score: 0, hit: false, predicted_box: null };
    const geometry = sampleGeometry(record, null);
    if (!geometry) throw new Error("no geometry");
    const predictions = sampleGeoJson(record, geometry, georef).features.filter(
      (f) => f.properties?.role === "prediction",
    );
    expect(predictions.map((f) => [f.properties?.iou, f.properties?.scored])).toEqual([
      [null, false],
      [null, false],
    ]);
  });
});

describe("compareWithReference", () => {
  it("places a drawn rectangle in crop pixels, clipped, with each box's IoU, and refuses one off the crop", () => {
    const georef = georefForWorldWindow({ left: 70000, top: 45000, width: 200, height: 100 }, 17);
    const corner = (x: number, y: number) => pixelToLngLat(georef, [x, y]);
    const [west, north] = corner(-20, 10);
    const [east, south] = corner(100, 60);
    const boxes = findBoxes("[0, 10, 100, 60] [150, 10, 190, 60]", {
      convention: "pixels",
      input: { width: 200, height: 100, scaleX: 1, scaleY: 1 },
      cropWidth: 200,
      cropHeight: 100,
    });
    const reading = compareWithReference({ west, south, east, north }, georef, boxes);
    if (!reading.valid) throw new Error(reading.reason);
    expect(reading.comparison.pixels).toEqual([0, 10, 100, 60]);
    expect(reading.comparison.ious.get(0)).toBeCloseTo(1, 9);
    expect(reading.comparison.ious.get(1)).toBe(0);
    const [w2, n2] = corner(300, 0);
    const [e2, s2] = corner(320, 50);
    expect(compareWithReference({ west: w2, south: s2, east: e2, north: n2 }, georef, boxes).valid).toBe(false);
  });
});
