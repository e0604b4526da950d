/**
 * Every bounding box in a model's answer: plain `[x1, y1, x2, y2]` lists and Qwen3-VL's JSON
 * (`{"bbox_2d": [...], "label": "..."}`, in a ```json fence or not), several per answer, with their place in the text.
 * Boxes are mapped to crop pixels by the coordinate convention of the model, checked, and clamped or dropped with a
 * warning — never an exception: the text is untrusted.
 */
import type { ModelInput } from "./model-input-size";

/** How a model writes coordinates: pixels of the image it saw (GeoZero), or 0–1000 relative (stock Qwen3-VL). */
export type BoxConvention = "pixels" | "relative-1000";

/** A box found in the text. */
export interface FoundBox {
  index: number;
  label: string | null;
  /** The numbers as written. */
  raw: number[];
  /** Character range of the list in the text, for highlighting. */
  start: number;
  end: number;
  /** Crop pixels [x1, y1, x2, y2]; null when dropped. */
  pixels: [number, number, number, number] | null;
  status: "ok" | "clamped" | "dropped";
  warning: string | null;
}

/** What boxes are read against. */
export interface BoxFrame {
  convention: BoxConvention;
  /** The image the model saw, and its scale to the crop. */
  input: Pick<ModelInput, "width" | "height" | "scaleX" | "scaleY">;
  cropWidth: number;
  cropHeight: number;
}

const INNERMOST_LIST = /\[([^[\]]*)\]/g;
const NUMBER = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/;

/** Finds every complete box in the text (a list still being written is not returned until its `]` arrives). */
export function findBoxes(text: string, frame: BoxFrame): FoundBox[] {
  const boxes: FoundBox[] = [];
  for (const match of text.matchAll(INNERMOST_LIST)) {
    const parts = match[1].split(",");
    if (parts.length < 2 || !parts.every((p) => NUMBER.test(p))) continue;
    const raw = parts.map(Number);
    const start = match.index ?? 0;
    const end = start + match[0].length;
    const label = labelNear(text, start, end);
    boxes.push({ index: boxes.length, label, raw, start, end, ...checkBox(raw, frame) });
  }
  return boxes;
}

/** The `"label"` of the `{"bbox_2d": …}` object a list is the value of, if any. */
function labelNear(text: string, start: number, end: number): string | null {
  const open = text.lastIndexOf("{", start);
  if (open < 0 || text.lastIndexOf("}", start) > open) return null;
  if (!/"bbox_2d"\s*:\s*$/.test(text.slice(open, start))) return null;
  const close = text.indexOf("}", end);
  const object = text.slice(open, close < 0 ? text.length : close + 1);
  const label = /"label"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(object);
  return label ? label[1] : null;
}

function checkBox(raw: number[], frame: BoxFrame): Pick<FoundBox, "pixels" | "status" | "warning"> {
  if (raw.length !== 4) {
    return {
      pixels: null,
      status: "dropped",
      warning: `a box needs 4 numbers [x1, y1, x2, y2]; this list has ${raw.length}.`,
    };
  }
  const [x1, y1, x2, y2] = toCropPixels(raw, frame);
  if (x2 <= x1 || y2 <= y1) {
    return {
      pixels: null,
      status: "dropped",
      warning: "x2 must exceed x1 and y2 exceed y1; the corners are reversed or the box is empty.",
    };
  }
  const { cropWidth: w, cropHeight: h } = frame;
  if (x2 <= 0 || y2 <= 0 || x1 >= w || y1 >= h) {
    return { pixels: null, status: "dropped", warning: `the box lies outside the ${w} × ${h} px image.` };
  }
  const clamped: [number, number, number, number] = [
    Math.max(0, x1),
    Math.max(0, y1),
    Math.min(w, x2),
    Math.min(h, y2),
  ];
  const changed = clamped.some((v, i) => v !== [x1, y1, x2, y2][i]);
  return changed
    ? {
        pixels: clamped,
        status: "clamped",
        warning: `the box reaches beyond the ${w} × ${h} px image; it was clamped to its edges.`,
      }
    : { pixels: clamped, status: "ok", warning: null };
}

/** Model coordinates → crop pixels. */
export function toCropPixels(raw: number[], frame: BoxFrame): [number, number, number, number] {
  const [x1, y1, x2, y2] = raw;
  if (frame.convention === "relative-1000") {
    const sx = frame.cropWidth / 1000;
    const sy = frame.cropHeight / 1000;
    return [x1 * sx, y1 * sy, x2 * sx, y2 * sy];
  }
  const { scaleX, scaleY } = frame.input;
  return [x1 * scaleX, y1 * scaleY, x2 * scaleX, y2 * scaleY];
}
