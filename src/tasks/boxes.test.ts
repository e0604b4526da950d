import { describe, expect, it } from "vitest";
import { type BoxFrame, findBoxes } from "./boxes";
import { modelInputFor } from "./model-input-size";

const exactFrame: BoxFrame = { convention: "pixels", input: modelInputFor(640, 480), cropWidth: 640, cropHeight: 480 };

describe("findBoxes", () => {
  it("reads a plain list in the pixels of the image the model saw", () => {
    const [box] = findBoxes("<answer>[10, 20, 110, 220]</answer>", exactFrame);
    expect(box).toMatchObject({ raw: [10, 20, 110, 220], pixels: [10, 20, 110, 220], status: "ok", label: null });
  });

  it("reads Qwen3-VL JSON in a fence, several per answer, with labels and text ranges", () => {
    const text =
      'Two planes.\n```json\n[\n  {"bbox_2d": [12, 30, 50, 70], "label": "airplane"},\n  {"label": "airplane \\"B\\"", "bbox_2d": [100.5, 40, 160, 90]}\n]\n```';
    const boxes = findBoxes(text, exactFrame);
    expect(boxes.map((b) => b.label)).toEqual(["airplane", 'airplane \\"B\\"']);
    expect(boxes[1].pixels).toEqual([100.5, 40, 160, 90]);
    expect(text.slice(boxes[0].start, boxes[0].end)).toBe("[12, 30, 50, 70]");
  });

  it("reads nested lists of boxes", () => {
    const boxes = findBoxes("[[1,2,3,4],[5,6,7,8]]", exactFrame);
    expect(boxes.map((b) => b.raw)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it("maps 0–1000 relative coordinates to crop pixels", () => {
    const frame: BoxFrame = { ...exactFrame, convention: "relative-1000" };
    expect(findBoxes("[0, 500, 250, 1000]", frame)[0].pixels).toEqual([0, 240, 160, 480]);
  });

  it("inverts a resize the processor made", () => {
    const input = modelInputFor(1000, 1000, { minPixels: 4096, maxPixels: 256 * 256 });
    expect(input).toMatchObject({ width: 256, height: 256, exact: false });
    const frame: BoxFrame = { convention: "pixels", input, cropWidth: 1000, cropHeight: 1000 };
    expect(findBoxes("[64, 128, 128, 256]", frame)[0].pixels).toEqual([250, 500, 500, 1000]);
  });

  it("warns on malformed and out-of-range boxes, clamping or dropping them as stated, never throwing", () => {
    const boxes = findBoxes("[1, 2, 3] [50, 50, 10, 60] [600, 400, 700, 500] [700, 10, 800, 20] [a, b] [", exactFrame);
    expect(boxes.map((b) => b.status)).toEqual(["dropped", "dropped", "clamped", "dropped"]);
    expect(boxes[0].warning).toMatch(/4 numbers/);
    expect(boxes[1].warning).toMatch(/reversed/);
    expect(boxes[2].pixels).toEqual([600, 400, 640, 480]);
    expect(boxes[3].warning).toMatch(/outside/);
  });

  it("returns a box only once its list is complete", () => {
    const text = '{"bbox_2d": [10, 20, 30, 40], "label": "tank"}';
    for (let cut = 0; cut <= text.length; cut++) {
      const boxes = findBoxes(text.slice(0, cut), exactFrame);
      const listEnd = text.indexOf("]") + 1;
      expect(boxes.length).toBe(cut >= listEnd ? 1 : 0);
    }
  });
});
