import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { filesForDtype, type ModelManifest } from "./manifest";
import { describeFolder, dtypesFromConfig, filesFromConfig, folderUrl, parseModelSource } from "./sources";

const TINY = resolve("model-cache/geozero-tiny");
const readJson = (path: string) => JSON.parse(readFileSync(join(TINY, path), "utf8"));

/** A fetch that serves the tiny model folder from disk at http://models.test/tiny/, optionally without some files. */
function folderFetch(hidden: string[] = []): typeof fetch {
  return (async (input: string | URL) => {
    const url = new URL(String(input));
    const path = url.pathname.replace(/^\/tiny\//, "");
    const file = join(TINY, path);
    if (!url.pathname.startsWith("/tiny/") || hidden.includes(path) || !existsSync(file))
      return new Response("not found", { status: 404 });
    return new Response(readFileSync(file));
  }) as typeof fetch;
}

describe("parseModelSource", () => {
  it("maps a Hugging Face id to its resolve URL, with an optional revision", () => {
    const main = parseModelSource("MiliLab/GeoZero-onnx");
    expect(folderUrl(main)).toBe("https://huggingface.co/MiliLab/GeoZero-onnx/resolve/main/");
    expect(folderUrl(parseModelSource(" a/b@v1.0 "))).toBe("https://huggingface.co/a/b/resolve/v1.0/");
  });

  it("splits a folder URL into root and folder, ignoring a trailing file name, query and slash", () => {
    expect(parseModelSource("http://127.0.0.1:4400/models/geozero-tiny/")).toMatchObject({
      root: "http://127.0.0.1:4400/models/",
      folder: "geozero-tiny",
    });
    expect(parseModelSource("https://h/x/y/manifest.json?download=1")).toMatchObject({
      root: "https://h/x/",
      folder: "y",
    });
  });

  it("refuses what is neither, and non-http URLs, naming the fix", () => {
    expect(() => parseModelSource("not a model")).toThrow(/neither a Hugging Face model id .* nor a URL/);
    expect(() => parseModelSource("file:///etc/passwd/")).toThrow(/only http\(s\) URLs/);
    expect(() => parseModelSource("https://host/")).toThrow(/names no folder/);
  });
});

describe("folders without a manifest", () => {
  const config = readJson("config.json");

  it("reads the dtypes from the config's external-data table", () => {
    expect(dtypesFromConfig(config)).toEqual(["fp32", "q4", "q4f16"]);
    expect(dtypesFromConfig({})).toEqual(["fp32"]);
  });

  it("names the same weight files as the manifest does", () => {
    const manifest = readJson("manifest.json") as ModelManifest;
    const sessions = { vision_encoder: "q4", embed_tokens: "fp32", decoder_model_merged: "q4" };
    const fromConfig = filesFromConfig(config, sessions).filter((f) => f.path.startsWith("onnx/"));
    const fromManifest = filesForDtype(manifest, sessions).filter((f) => f.path.startsWith("onnx/"));
    expect(fromConfig.map((f) => f.path).sort()).toEqual(fromManifest.map((f) => f.path).sort());
  });

  it("describes a folder by its manifest, else by its config, and refuses one that is not Qwen3-VL", async () => {
    const location = parseModelSource("http://models.test/tiny/");
    const withManifest = await describeFolder(location, folderFetch());
    expect(withManifest.manifest?.dtypes).toEqual(["fp32", "q4", "q4f16"]);
    const without = await describeFolder(location, folderFetch(["manifest.json"]));
    expect(without).toMatchObject({ manifest: null, dtypes: ["fp32", "q4", "q4f16"] });
    await expect(describeFolder(location, folderFetch(["manifest.json", "config.json"]))).rejects.toThrow(
      /neither manifest.json \(HTTP 404\) nor config.json \(HTTP 404\)/,
    );
    const llava = (async (input: string | URL) =>
      String(input).endsWith("config.json")
        ? new Response(JSON.stringify({ model_type: "llava" }))
        : new Response("", { status: 404 })) as typeof fetch;
    await expect(describeFolder(location, llava)).rejects.toMatchObject({ name: "UnsupportedModelError" });
  });

  it("names the folder's version: the hub's commit, else its config's ETag, else none", async () => {
    const location = parseModelSource("http://models.test/tiny/");
    const withHeaders = (headers: Record<string, string>) =>
      (async (input: string | URL, init?: RequestInit) => {
        const response = await folderFetch(["manifest.json"])(input, init);
        return new Response(response.body, { status: response.status, headers });
      }) as typeof fetch;
    const commit = "a".repeat(40);
    expect((await describeFolder(location, withHeaders({ "x-repo-commit": commit, etag: '"e1"' }))).version).toBe(
      commit,
    );
    expect((await describeFolder(location, withHeaders({ etag: '"e1"' }))).version).toBe('"e1"');
    expect((await describeFolder(location, withHeaders({}))).version).toBeNull();
  });

  it("checks config.json's model type even when the folder has a manifest", async () => {
    const location = parseModelSource("http://models.test/tiny/");
    const manifestOk = folderFetch();
    const llavaConfig = (async (input: string | URL, init?: RequestInit) =>
      String(input).endsWith("config.json")
        ? new Response(JSON.stringify({ model_type: "llava" }))
        : manifestOk(input, init)) as typeof fetch;
    await expect(describeFolder(location, llavaConfig)).rejects.toMatchObject({
      name: "UnsupportedModelError",
      where: "http://models.test/tiny/config.json",
      modelType: "llava",
    });
  });

  it("names a manifest or config the server refuses by its HTTP status, not as missing", async () => {
    const location = parseModelSource("http://models.test/tiny/");
    const refusing = (status: number, file: string) =>
      (async (input: string | URL, init?: RequestInit) =>
        String(input).endsWith(file) ? new Response("", { status }) : folderFetch()(input, init)) as typeof fetch;
    await expect(describeFolder(location, refusing(403, "manifest.json"))).rejects.toMatchObject({
      file: "manifest.json",
      problem: { kind: "http-status", status: 403 },
    });
    await expect(describeFolder(location, refusing(500, "config.json"))).rejects.toMatchObject({
      file: "config.json",
      problem: { kind: "http-status", status: 500 },
    });
  });

  it("tells a server without CORS from one that cannot be reached, and says what to do", async () => {
    const location = parseModelSource("http://models.test/tiny/");
    // A CORS refusal and a dead host both reject the fetch; only the first answers an opaque no-cors request.
    const failing = (answersNoCors: boolean) =>
      (async (_input: string | URL, init?: RequestInit) => {
        if (init?.mode === "no-cors" && answersNoCors) return new Response(null, { status: 200 });
        throw new TypeError("Failed to fetch");
      }) as typeof fetch;
    const noCors = await describeFolder(location, failing(true)).catch((e: unknown) => e);
    expect(noCors).toMatchObject({
      file: "manifest.json",
      problem: { kind: "no-cors", url: "http://models.test/tiny/manifest.json" },
    });
    expect((noCors as Error).message).toContain("Access-Control-Allow-Origin");
    const unreachable = await describeFolder(location, failing(false)).catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ problem: { kind: "unreachable" } });
    expect((unreachable as Error).message).toContain("the server cannot be reached");
  });
});
