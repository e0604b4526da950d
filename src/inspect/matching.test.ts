import { describe, expect, it } from "vitest";
import { type AnnotationEntry, sampleId } from "../eval/annotations";
import type { SampleRecord } from "../eval/record-format";
import { ImageIndex } from "./images";
import { missingImages, unmatchedRecords } from "./matching";

/** Six samples, two questions per image, as grounding sets ask several things of one image. */
const SAMPLES = [0, 1, 2, 3, 4, 5].map((i) => ({
  image: `img-${Math.floor(i / 2)}.png`,
  instruction: `find thing ${i}`,
  label: `[${i}, ${i}, ${i + 10}, ${i + 10}]`,
}));

function entries(samples: typeof SAMPLES): AnnotationEntry[] {
  return samples.map((s, index) => ({ ...s, id: sampleId(index, s.image), index, references: [s.label] }));
}

function recordOf(entry: AnnotationEntry, withInstruction = true): SampleRecord {
  return {
    id: entry.id,
    index: entry.index,
    image: entry.image,
    task: "grounding",
    model: "m",
    ...(withInstruction ? { instruction: entry.instruction } : {}),
    raw_output: "",
    answer: "",
    label: entry.label,
    score: 0,
    bucket: "S",
    predicted_box: null,
    tokens: 0,
    seconds: 0,
    seed: 0,
    decoding: "sample",
  };
}

describe("records against their annotation file", () => {
  const records = entries(SAMPLES).map((e) => recordOf(e));

  it("finds every record of its own file", () => {
    expect(unmatchedRecords(records, entries(SAMPLES))).toBeNull();
  });

  it("catches a file shifted by one sample, whose ids still match wherever an image has two questions", () => {
    const shifted = entries([{ image: "img-0.png", instruction: "inserted", label: "[0, 0, 5, 5]" }, ...SAMPLES]);
    // Ids 0:img-0.png, 1:img-0.png, 3:img-1.png and 5:img-2.png still name a sample of the same image there.
    const mismatch = unmatchedRecords(records, shifted);
    expect(mismatch).toMatchObject({ unmatched: 2, differing: 4, total: 6 });
    expect([...(mismatch?.ids ?? [])].sort()).toEqual(records.map((r) => r.id).sort());
  });

  it("tells records without an instruction (older runs) apart by their reference", () => {
    const old = records.map((r) => ({ ...r, instruction: undefined }));
    expect(unmatchedRecords(old, entries(SAMPLES))).toBeNull();
    const relabelled = entries(SAMPLES.map((s, i) => (i === 4 ? { ...s, label: "[1, 1, 2, 2]" } : s)));
    expect(unmatchedRecords(old, relabelled)).toMatchObject({ unmatched: 0, differing: 1, examples: ["4:img-2.png"] });
  });
});

describe("samples whose image is missing", () => {
  it("counts samples, not images, and names the images once", () => {
    const folder = new ImageIndex([["images/img-0.png", 1]]);
    expect(missingImages(entries(SAMPLES), folder)).toEqual({
      samples: 4,
      examples: ["2:img-1.png", "3:img-1.png", "4:img-2.png", "5:img-2.png"],
      images: ["img-1.png", "img-2.png"],
    });
    expect(missingImages(entries(SAMPLES).slice(0, 2), folder)).toBeNull();
  });
});
