import { describe, expect, it } from "vitest";
import { NO_SYNONYMS } from "./metrics/meteor";
import { LineSplitter, parseRecordLine, recordLine, type SampleRecord } from "./record-format";
import { groundingMetrics, taskMetrics } from "./score";

const RECORD: SampleRecord = {
  id: "0:a.png",
  index: 0,
  image: "a.png",
  task: "grounding",
  model: "geozero-tiny",
  raw_output: "Looking.<answer>[1, 2, 30, 40]</answer>",
  answer: "[1, 2, 30, 40]",
  label: "[0, 0, 30, 40]",
  score: 0.8,
  hit: true,
  bucket: "M",
  predicted_box: [1, 2, 30, 40],
  image_size: [100, 100],
  tokens: 12,
  seconds: 0.5,
  seed: 42,
  decoding: "sample",
};

describe("parseRecordLine", () => {
  it("reads the line npm run eval writes", () => {
    expect(parseRecordLine(recordLine(RECORD), 1)).toEqual({ ok: true, record: RECORD });
  });
  it.each([
    ["{not json", /^not JSON/],
    ["[1, 2]", /a list, not a record object/],
    [JSON.stringify({ ...RECORD, id: undefined }), /no "id" field/],
    [
      JSON.stringify({ ...RECORD, task: "detection" }),
      /"task" must be one of scene_cls, vqa, caption, grounding; got "detection"/,
    ],
    [
      JSON.stringify({ ...RECORD, predicted_box: [1, 2, 3] }),
      /"predicted_box" must be null or four numbers.*got \[1,2,3\]/,
    ],
    [JSON.stringify({ ...RECORD, score: "0.5" }), /"score" must be a number or null/],
  ])("names the problem of %s with its line number", (text, reason) => {
    const result = parseRecordLine(text, 7);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem.line).toBe(7);
    expect(result.problem.reason).toMatch(reason);
  });
});

describe("LineSplitter", () => {
  it("numbers lines split across chunks, skips blank ones and keeps a last line without newline for end()", () => {
    const splitter = new LineSplitter();
    expect(splitter.push('{"a"')).toEqual([]);
    expect(splitter.push(':1}\n\n{"b":2}\n{"c"')).toEqual([
      { text: '{"a":1}', line: 1 },
      { text: '{"b":2}', line: 3 },
    ]);
    expect(splitter.push(":3}")).toEqual([]);
    expect(splitter.end()).toEqual([{ text: '{"c":3}', line: 4 }]);
  });
});

describe("groundingMetrics", () => {
  it("is the eval summary's grounding metrics at 0.5", () => {
    const records = [
      RECORD,
      { ...RECORD, id: "1:b.png", score: 0.49, hit: false, bucket: "S" as const },
      { ...RECORD, id: "2:c.png", score: 0, hit: false, predicted_box: null, bucket: "L" as const },
      { ...RECORD, id: "3:d.png", score: null, bucket: undefined, hit: undefined },
    ];
    expect(groundingMetrics(records, 0.5)).toEqual(taskMetrics("grounding", records, NO_SYNONYMS));
    expect(groundingMetrics(records, 0.4)).toMatchObject({ accuracy: (2 / 3) * 100, counted: 3, accuracy_S: 100 });
  });
});
