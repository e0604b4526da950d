import { describe, expect, it } from "vitest";
import type { ModelEntry } from "../model/manifest";
import { DEFAULT_MODEL_ID, defaultModelId } from "./model";

const entry = (id: string): ModelEntry => ({ id, manifest: null });

describe("defaultModelId", () => {
  it("picks the README's default model, not the first folder in alphabetical order", () => {
    expect(DEFAULT_MODEL_ID).toBe("geozero-tiny");
    expect(defaultModelId([entry("a-broken"), entry("geozero-8b"), entry("geozero-tiny")], null)).toBe("geozero-tiny");
  });

  it("keeps the user's pick while it is listed, and falls back to the first model without the default", () => {
    expect(defaultModelId([entry("geozero-8b"), entry("geozero-tiny")], "geozero-8b")).toBe("geozero-8b");
    expect(defaultModelId([entry("b"), entry("c")], "gone")).toBe("b");
    expect(defaultModelId([], null)).toBeNull();
  });
});
