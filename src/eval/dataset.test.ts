import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { AnnotationError, loadDataset } from "./dataset";

let dir: string;
const write = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
};
const record = (image: string, human: string, gpt?: string, extra: Record<string, unknown> = {}) => ({
  images: [image],
  conversations: [{ from: "human", value: human }, ...(gpt === undefined ? [] : [{ from: "gpt", value: gpt }])],
  ...extra,
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "eval-dataset-"));
  mkdirSync(join(dir, "img"));
  for (const name of ["a.png", "b.png"]) writeFileSync(join(dir, "img", name), "x");
});

describe("loadDataset", () => {
  it("reads GeoZero records: instruction after <image>, label from the gpt turn, missing images counted", () => {
    const file = write("cls.json", [
      record("a.png", "<image>\nWhat scene is this?  ", "Airport"),
      record("gone.png", "<image>Classify.", "Forest"),
      record(join(dir, "img", "b.png"), "<image> Which class?", "River", { system: "ignored" }),
    ]);
    const data = loadDataset(file, join(dir, "img"), "scene_cls");
    expect(data.total).toBe(3);
    expect(data.samples.map((s) => [s.id, s.instruction, s.label])).toEqual([
      ["0:a.png", "What scene is this?", "Airport"],
      [`2:${join(dir, "img", "b.png")}`, "Which class?", "River"],
    ]);
    expect(data.samples[0].imagePath).toBe(join(dir, "img", "a.png"));
    expect(data.missing).toEqual([{ index: 1, image: "gone.png", imagePath: join(dir, "img", "gone.png") }]);
  });
  it("takes captioning references from refs, else the gpt turn, else an empty one", () => {
    const file = write("cap.json", [
      record("a.png", "<image>Describe.", undefined, { refs: ["one", "two"] }),
      record("a.png", "<image>Describe.", "only"),
      record("a.png", "<image>Describe."),
    ]);
    const data = loadDataset(file, join(dir, "img"), "caption", 3);
    expect(data.samples.map((s) => s.references)).toEqual([["one", "two"], ["only"], [""]]);
    expect(data.warnings).toHaveLength(1);
  });
  it("applies --limit to the records of the file", () => {
    const file = write("lim.json", [record("a.png", "<image>q", "x"), record("b.png", "<image>q", "y")]);
    expect(loadDataset(file, join(dir, "img"), "vqa", 1).samples.map((s) => s.label)).toEqual(["x"]);
  });
  it.each([
    ["bad.json", "{not json", /not valid JSON/],
    ["obj.json", { images: [] }, /JSON list of records/],
    ["noimg.json", [{ conversations: [{ from: "human", value: "<image>q" }] }], /record 0 needs "images"/],
    ["nomark.json", [record("a.png", "no marker", "x")], /record 0: the first turn .* "<image>" marker/],
    ["turn.json", [{ images: ["a.png"], conversations: [{ from: "user", value: "<image>q" }] }], /record 0, turn 0/],
    ["multi.json", [{ images: ["a.png", "b.png"], conversations: [{ from: "human", value: "<image>q" }] }], /2 images/],
  ])("refuses %s with a message naming the problem", (name, content, message) => {
    const file = write(name, content);
    expect(() => loadDataset(file, dir, "vqa")).toThrow(AnnotationError);
    expect(() => loadDataset(file, dir, "vqa")).toThrow(message);
  });
  it("names an unreadable file", () => {
    expect(() => loadDataset(join(dir, "nope.json"), dir, "vqa")).toThrow(
      /Cannot read the annotation file .*nope\.json/,
    );
  });
});
