import { describe, expect, it } from "vitest";
import { buildInstruction, defaultBoxConvention, TASK_TAGS } from "./instructions";
import { buildMessages, GEOZERO_SYSTEM_PROMPT } from "./prompts";

describe("task instructions in GeoZero's prompt shape", () => {
  it("sends a free question unchanged but trimmed", () => {
    expect(buildInstruction({ task: "free", question: "  How many fields?  " })).toBe("How many fields?");
  });

  it("tags a VQA question as GeoZero's data does ([vqa] then the question)", () => {
    expect(buildInstruction({ task: "vqa", question: "Is there a river?" })).toBe("[vqa] Is there a river?");
  });

  it("lists every class in order for scene classification", () => {
    const text = buildInstruction({ task: "scene_cls", classes: ["forest", "river", "bare land"] });
    expect(text).toBe(
      `${TASK_TAGS.scene_cls} Classify the image within one of the given classes: forest, river, bare land. Answer with one word or short phrase.`,
    );
  });

  it("asks for one box, or for every instance, in [x1, y1, x2, y2] lists", () => {
    const one = buildInstruction({ task: "grounding", target: "the red roof", several: false });
    const all = buildInstruction({ task: "grounding", target: "storage tank", several: true });
    expect(one).toBe(
      `${TASK_TAGS.grounding} Output the bounding box of the red roof in the image as [x1, y1, x2, y2].`,
    );
    expect(all).toMatch(/^\[grounding\] Detect every storage tank in the image\./);
  });

  it("agrees with the object's number: every storage tank, all red buildings", () => {
    const detect = (target: string) => buildInstruction({ task: "grounding", target, several: true });
    expect(detect("red buildings")).toMatch(/^\[grounding\] Detect all red buildings in the image\./);
    expect(detect("people")).toMatch(/^\[grounding\] Detect all people in the image\./);
    for (const singular of ["storage tank", "bus", "swimming pool", "tennis", "overpass", "sheep"]) {
      expect(detect(singular)).toMatch(new RegExp(`^\\[grounding\\] Detect every ${singular} in the image\\.`));
    }
  });

  it("asks for a one-sentence caption, the shape of the caption benchmarks' references", () => {
    expect(buildInstruction({ task: "caption" })).toBe(`${TASK_TAGS.caption} Describe the image in one sentence.`);
  });

  it("refuses requests that lack what the task needs, saying what to do", () => {
    expect(() => buildInstruction({ task: "vqa", question: "  " })).toThrow(/Type a question/);
    expect(() => buildInstruction({ task: "scene_cls", classes: ["forest"] })).toThrow(/at least two classes.*has 1/);
    expect(() => buildInstruction({ task: "grounding", target: "", several: true })).toThrow(/Name the object/);
  });

  it("goes into the user turn after the image, with the optional system prompt first", () => {
    const messages = buildMessages(buildInstruction({ task: "caption" }), true);
    expect(messages[0]).toEqual({ role: "system", content: GEOZERO_SYSTEM_PROMPT });
    expect(messages[1]).toEqual({
      role: "user",
      content: [{ type: "image" }, { type: "text", text: "[caption] Describe the image in one sentence." }],
    });
  });
});

describe("default box convention", () => {
  it("is pixels for GeoZero models and 0–1000 relative for other Qwen3-VL models", () => {
    expect(defaultBoxConvention("geozero-8b-q4f16")).toBe("pixels");
    expect(defaultBoxConvention("GeoZero-tiny")).toBe("pixels");
    expect(defaultBoxConvention("qwen3-vl-8b-instruct")).toBe("relative-1000");
    expect(defaultBoxConvention(null)).toBe("relative-1000");
  });
});
