import { describe, expect, it } from "vitest";
import { textPreview } from "./format";

describe("the preview of a long text", () => {
  it("is null when the text fits", () => {
    expect(textPreview("short", 10, 3)).toBeNull();
    expect(textPreview("a\nb\nc", 10, 3)).toBeNull();
  });

  it("cuts at the character limit", () => {
    expect(textPreview("x".repeat(10_000), 280, 6)).toBe("x".repeat(280));
  });

  it("cuts at the line limit when the lines run out first, dropping the trailing break", () => {
    expect(textPreview("one\ntwo\nthree\nfour", 280, 2)).toBe("one\ntwo");
  });
});
