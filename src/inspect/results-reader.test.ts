import { describe, expect, it } from "vitest";
import { LineSplitter, type SampleRecord } from "../eval/record-format";
import { ResultsReader } from "./results-reader";

function line(id: number, score: number, task = "grounding"): string {
  const record: Partial<SampleRecord> = {
    id: `${id}:a.png`,
    index: id,
    image: "a.png",
    task: task as SampleRecord["task"],
    model: "m",
    raw_output: "",
    answer: "",
    label: "[0, 0, 10, 10]",
    score,
  };
  return JSON.stringify(record);
}

function read(text: string) {
  const reader = new ResultsReader();
  const splitter = new LineSplitter();
  reader.take(splitter.push(text));
  reader.take(splitter.end());
  return reader.result();
}

describe("reading a results file", () => {
  it("reports ids that several lines hold, keeping the last line of each as npm run eval does", () => {
    const text = [line(0, 0.9), line(1, 0.2), line(0, 0.1), line(2, 0.5), line(0, 0.3), line(1, 0.7)].join("\n");
    const { records, repeated } = read(text);
    expect(records.map((r) => [r.id, r.score])).toEqual([
      ["0:a.png", 0.3],
      ["1:a.png", 0.7],
      ["2:a.png", 0.5],
    ]);
    expect(repeated).toEqual({
      ids: 2,
      replaced: 3,
      examples: [
        { id: "0:a.png", lines: [1, 3, 5] },
        { id: "1:a.png", lines: [2, 6] },
      ],
    });
  });

  it("counts bad lines and other tasks apart, and reports no repeats where there are none", () => {
    const { records, lines, otherTasks, repeated } = read(
      [line(0, 1), "not json", line(1, 1, "vqa"), line(2, 0)].join("\n"),
    );
    expect(records).toHaveLength(2);
    expect(lines?.count).toBe(1);
    expect(lines?.problems[0].line).toBe(2);
    expect([...otherTasks]).toEqual([["vqa", 1]]);
    expect(repeated).toBeNull();
  });
});
