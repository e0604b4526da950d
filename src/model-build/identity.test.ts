import { describe, expect, it } from "vitest";
import { modelKey } from "./identity";

// transformers.js reads a model folder by id only when the id passes its check (utils/hub/utils.js, isValidHfModelId);
// otherwise it resolves the files against the worker's own URL and the load reads the host's page as JSON.
const REPO_ID = /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/;
const acceptedAsModelId = (id: string) => REPO_ID.test(id) && !id.includes("..") && !id.includes("--");

describe("modelKey", () => {
  it("names a hub build by repository, subfolder, commit and dtype, as an id transformers.js accepts", () => {
    const key = modelKey(["hf", "hjvsl", "GeoZero", "GeoZero-8B-without-RFT"], "0123abcd0123", "q4f16");
    expect(key).toBe("hf.hjvsl.GeoZero.GeoZero-8B-without-RFT.0123abcd0123.q4f16");
    expect(acceptedAsModelId(key)).toBe(true);
  });

  it("keeps the pin and dtype of a long, oddly named source, and stays an accepted id", () => {
    const key = modelKey(["folder", `--my  model..${"x".repeat(200)}--`], "17530000000", "q4");
    expect(key.endsWith(".17530000000.q4")).toBe(true);
    expect(key.length).toBeLessThanOrEqual(96);
    expect(acceptedAsModelId(key)).toBe(true);
  });

  it("tells builds of two commits apart", () => {
    expect(modelKey(["hf", "a", "b"], "111111111111", "q4")).not.toBe(modelKey(["hf", "a", "b"], "222222222222", "q4"));
  });
});
