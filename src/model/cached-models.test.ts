import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { offlineAvailability } from "./cached-models";
import { filesForDtype, type ModelEntry, type ModelManifest } from "./manifest";

const manifest = JSON.parse(readFileSync("model-cache/geozero-tiny/manifest.json", "utf8")) as ModelManifest;
const served: ModelEntry = { id: "geozero-tiny", manifest };
const pathsAt = (dtype: string) => filesForDtype(manifest, dtype).map((file) => file.path);

describe("offlineAvailability", () => {
  it("a served model whose every file at the load's dtypes is cached is kept; the cache not read yet is unknown", () => {
    expect(offlineAvailability(served, "q4", { cachedPaths: pathsAt("q4") })).toEqual({ kind: "kept" });
    expect(offlineAvailability(served, "q4", undefined)).toEqual({ kind: "unknown" });
  });

  it("counts the files the cache lacks and names the dtypes it holds whole", () => {
    const q4 = pathsAt("q4");
    const evicted = q4.filter((path) => !path.endsWith(".onnx_data"));
    expect(offlineAvailability(served, "q4", { cachedPaths: evicted })).toEqual({
      kind: "needs-network",
      missing: { files: q4.length - evicted.length, of: q4.length },
      cachedDtypes: [],
    });
    expect(offlineAvailability(served, "q4f16", { cachedPaths: q4 })).toMatchObject({
      kind: "needs-network",
      cachedDtypes: ["q4"],
    });
    expect(offlineAvailability(served, "q4", { cachedPaths: [] })).toMatchObject({
      missing: { files: q4.length, of: q4.length },
    });
  });

  it("built models are kept; models from the internet and folders without a manifest need the network", () => {
    expect(offlineAvailability({ id: "b", manifest, built: { bytes: 1 } }, "q4", undefined)).toEqual({ kind: "kept" });
    const remote: ModelEntry = {
      id: "r",
      manifest: null,
      remote: { root: "https://hub/", folder: "r", dtypes: ["q4"] },
    };
    expect(offlineAvailability(remote, "q4", { cachedPaths: [] })).toEqual({
      kind: "needs-network",
      missing: null,
      cachedDtypes: [],
    });
  });
});
