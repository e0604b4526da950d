/**
 * Expected values from GeoZero's `normalize_caption` and its scene_cls/vqa matches (MiliLab/GeoZero
 * `single_infer_eval_qwen3vl_think.py`), copied into a Python 3.11 script and run once on the inputs below.
 */
import { describe, expect, it } from "vitest";
import { exactMatch, looseMatch, normalizeText } from "./answer-match";

describe("normalizeText (GeoZero normalize_caption)", () => {
  it.each([
    ["  Hello,   World! ", "hello world"],
    ["a .", "a "],
    ["Dense-Residential\tarea\u3000x", "denseresidential area x"],
    ["café\u0301 ½ _under_score", "café ½ _under_score"],
    ["\x1cfoo\x1d", "foo"],
    ["\ufeffbar", "bar"],
  ])("%j → %j (Python's output)", (input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });
});

describe("classification and VQA", () => {
  it("exact match compares normalised texts, keeping the trailing space GeoZero leaves", () => {
    expect(exactMatch("Dense Residential.", "dense residential")).toBe(true);
    expect(exactMatch("dense residential .", "dense residential")).toBe(false);
    expect(exactMatch("airport", "Airport!")).toBe(true);
  });
  it("loose match accepts equality or containment either way", () => {
    expect(looseMatch("Yes, there is.", "yes")).toBe(true);
    expect(looseMatch("2", "12")).toBe(true);
    expect(looseMatch("no", "yes")).toBe(false);
    expect(looseMatch("", "anything")).toBe(true);
  });
});
