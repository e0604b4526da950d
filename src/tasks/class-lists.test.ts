import { describe, expect, it } from "vitest";
import { BENCHMARK_CLASS_LISTS, CUSTOM_CLASS_LIST_ID, classesFor, matchClass, parseClassList } from "./class-lists";

describe("benchmark class lists", () => {
  const expectedCounts: Record<string, number> = {
    aid: 30,
    resisc45: 45,
    ucm: 21,
    eurosat: 10,
    "whu-rs19": 19,
    "nasc-tg2": 10,
    "siri-whu": 12,
    fmow: 62,
  };

  it.each(Object.entries(expectedCounts))("%s has %i distinct classes, named in its label", (id, count) => {
    const list = BENCHMARK_CLASS_LISTS.find((l) => l.id === id);
    expect(list?.classes).toHaveLength(count);
    expect(new Set(list?.classes).size).toBe(count);
    expect(list?.name).toContain(`(${count})`);
  });

  it("offers exactly the eight benchmarks GeoZero reports", () => {
    expect(BENCHMARK_CLASS_LISTS.map((l) => l.id).sort()).toEqual(Object.keys(expectedCounts).sort());
  });

  it("writes names in lower case with spaced words, no dataset folder underscores", () => {
    for (const list of BENCHMARK_CLASS_LISTS) {
      for (const name of list.classes) expect(name).toMatch(/^[a-z][a-z -]*[a-z]$/);
    }
  });

  it("keeps canonical names of each dataset", () => {
    expect(classesFor("aid", [])).toContain("storage tanks");
    expect(classesFor("resisc45", [])).toContain("thermal power station");
    expect(classesFor("eurosat", [])).toContain("sea lake");
    expect(classesFor("fmow", [])).toContain("multi-unit residential");
    expect(classesFor("siri-whu", [])).toContain("idle land");
  });
});

describe("the user's class list", () => {
  it("splits on lines, commas and semicolons, trims, drops empties and case-insensitive repeats", () => {
    expect(parseClassList(" forest\n\nWater, water ;  bare   soil,\n")).toEqual(["forest", "Water", "bare soil"]);
  });

  it("is returned for the custom id, and an unknown id is refused with the known ones", () => {
    expect(classesFor(CUSTOM_CLASS_LIST_ID, ["a", "b"])).toEqual(["a", "b"]);
    expect(() => classesFor("nope", [])).toThrow(/Unknown class list "nope".*aid.*custom/);
  });
});

describe("reading a classification answer against its classes", () => {
  const classes = ["forest", "river", "dense residential", "residential"];

  it("names the class when the answer is one, as the evaluation's exact match reads it", () => {
    expect(matchClass("Forest.", classes)).toEqual({ status: "class", name: "forest" });
    expect(matchClass("  dense   residential ", classes)).toEqual({ status: "class", name: "dense residential" });
  });

  it("does not take an answer the evaluation scores wrong for the class: 'Forest .' keeps a trailing space", () => {
    expect(matchClass("Forest .", classes)).toEqual({ status: "not-a-class", mentioned: ["forest"] });
    expect(matchClass("dense residential !", classes)).toEqual({
      status: "not-a-class",
      mentioned: ["dense residential", "residential"],
    });
  });

  it("says when the answer is not one of the classes, with the classes it mentions, longest first", () => {
    expect(matchClass("It looks like dense residential housing", classes)).toEqual({
      status: "not-a-class",
      mentioned: ["dense residential", "residential"],
    });
    expect(matchClass("a lake", classes)).toEqual({ status: "not-a-class", mentioned: [] });
    expect(matchClass("riverside", classes)).toEqual({ status: "not-a-class", mentioned: [] });
  });

  it("treats an empty answer as no answer", () => {
    expect(matchClass(" . ", classes)).toEqual({ status: "empty" });
  });
});
