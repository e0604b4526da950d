import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { argmax } from "../../src/model/generation/sampling";
import { type LoadedFolder, loadModelFolder } from "../../src/model/node-folder";
import { type GenerateRequest, runGenerate } from "./generate";
import { openNpyRows, readNpyFloat32 } from "./npy";

let dir: string;
let loaded: LoadedFolder;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "generate-"));
  const png = new PNG({ width: 96, height: 64 });
  for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : (i * 37) % 256;
  await writeFile(join(dir, "crop.png"), PNG.sync.write(png));
  loaded = await loadModelFolder("model-cache/geozero-tiny", { dtype: "fp32" });
});
afterAll(async () => {
  await loaded.model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe(".npy writer", () => {
  it("round-trips float32 rows with a 64-byte aligned header", async () => {
    const path = join(dir, "rows.npy");
    const npy = await openNpyRows(path, 3);
    await Promise.all([npy.append(Float32Array.from([1, 2, 3])), npy.append(Float32Array.from([-0.5, 1e-8, 7]))]);
    expect(await npy.close()).toBe(2);
    const bytes = await readFile(path);
    expect((10 + bytes.readUInt16LE(8)) % 64).toBe(0);
    const { shape, data } = readNpyFloat32(bytes);
    expect(shape).toEqual([2, 3]);
    expect(Array.from(data)).toEqual(Array.from(Float32Array.from([1, 2, 3, -0.5, 1e-8, 7])));
    await expect(npy.append(new Float32Array(2))).rejects.toThrow(/width 3/);
  });
});

describe("npm run generate's core on the tiny model", () => {
  const request = (over: Partial<GenerateRequest>): GenerateRequest => ({
    model: "model-cache/geozero-tiny",
    image: join(dir, "crop.png"),
    system: true,
    maxNewTokens: 6,
    greedy: true,
    ...over,
  });

  it("streams a greedy answer and dumps the logits that chose each token", async () => {
    const dump = join(dir, "logits.npy");
    let streamed = "";
    const run = await runGenerate(
      request({ prompt: "What is here?", dumpLogits: dump }),
      (t) => {
        streamed += t;
      },
      loaded,
    );
    expect(streamed).toBe(run.output.text);
    expect(run.input).toEqual({ width: 96, height: 64, resized: false });
    const { shape, data } = readNpyFloat32(await readFile(dump));
    const vocab = 151936;
    expect(shape).toEqual([run.output.tokenIds.length, vocab]);
    const chosen = shape.length
      ? Array.from({ length: shape[0] }, (_, s) => argmax(data.subarray(s * vocab, (s + 1) * vocab)))
      : [];
    expect(chosen).toEqual(run.output.tokenIds);
  });

  it("--ids with one image pad gives the same prompt and answer as --prompt", async () => {
    const fromPrompt = await runGenerate(request({ prompt: "Is there water?" }), () => {}, loaded);
    const ids = fromPrompt.prompt.inputIds;
    const pad = 151655;
    const collapsed = ids.filter((id, i) => id !== pad || ids[i - 1] !== pad);
    await writeFile(join(dir, "ids.json"), JSON.stringify(collapsed));
    const fromIds = await runGenerate(request({ ids: join(dir, "ids.json") }), () => {}, loaded);
    expect(fromIds.prompt.inputIds).toEqual(ids);
    expect(fromIds.output.tokenIds).toEqual(fromPrompt.output.tokenIds);
  });

  it("refuses a request with both or neither of --prompt and --ids, and ids that are not a list", async () => {
    await expect(runGenerate(request({}), () => {}, loaded)).rejects.toThrow(/exactly one of --prompt/);
    await writeFile(join(dir, "bad.json"), '{"ids": 1}');
    await expect(runGenerate(request({ ids: join(dir, "bad.json") }), () => {}, loaded)).rejects.toThrow(
      /JSON array of token ids/,
    );
  });
});
