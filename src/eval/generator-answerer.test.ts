/**
 * End to end with the tiny model (model-cache/geozero-tiny, `npm run fixtures`): generated PNGs, a GeoZero-shaped
 * annotation file with one missing image, `limit`, an interruption after two samples, and the resumed run; seeded
 * sampling; captioning with real beam search, checked against the shared Generator run directly.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Generator } from "../model/generation/generator";
import { promptFromInstruction } from "../model/generation/inputs";
import { type LoadedFolder, loadModelFolder, readModelImage } from "../model/node-folder";
import { TASK_DECODING } from "../tasks/prompts";
import type { Answerer } from "./answerer";
import { generatorAnswerer } from "./generator-answerer";
import { GEOZERO_BOX_READING } from "./metrics/grounding";
import { openWordNet } from "./metrics/wordnet";
import type { SampleRecord } from "./records";
import { outputPaths, type RunOptions, runEvaluation } from "./run";
import { decodingFor } from "./tasks";

let dir: string;
let loaded: LoadedFolder;
let answerer: Answerer;
const CLASSES = ["farmland", "forest", "river", "airport", "beach", "desert"];

function writePng(path: string, width: number, height: number, seed: number): void {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[i * 4] = (i * 7 + seed * 50) % 256;
    png.data[i * 4 + 1] = (i * 3 + seed * 90) % 256;
    png.data[i * 4 + 2] = (seed * 30) % 256;
    png.data[i * 4 + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "eval-e2e-"));
  mkdirSync(join(dir, "images"));
  const records = CLASSES.map((label, i) => {
    const image = i === 2 ? "never-downloaded.png" : `scene-${i}.png`;
    if (i !== 2) writePng(join(dir, "images", image), 64 + 32 * (i % 2), 64, i);
    return {
      images: [image],
      conversations: [
        { from: "human", value: "<image>\nClassify this scene." },
        { from: "gpt", value: label },
      ],
    };
  });
  writeFileSync(join(dir, "scene_cls.json"), JSON.stringify(records));
  const captions = [0, 1].map((i) => ({
    images: [`scene-${i}.png`],
    conversations: [{ from: "human", value: "<image>\nDescribe this image in one sentence." }],
    refs: ["a field next to a forest", "green farmland"],
  }));
  writeFileSync(join(dir, "caption.json"), JSON.stringify(captions));
  loaded = await loadModelFolder("model-cache/geozero-tiny", { dtype: "q4" });
  answerer = generatorAnswerer(loaded);
}, 120_000);

afterAll(async () => {
  await answerer?.dispose();
});

function options(signal?: AbortSignal, onProgress?: () => void, out = join(dir, "out", "results.json")): RunOptions {
  return {
    task: "scene_cls",
    dataFile: join(dir, "scene_cls.json"),
    imagesDir: join(dir, "images"),
    limit: 5,
    useSystemPrompt: true,
    out,
    seed: 7,
    decoding: decodingFor("scene_cls", undefined, 12),
    boxReading: GEOZERO_BOX_READING,
    meteorSynonyms: openWordNet(),
    answerer,
    signal,
    imageSize: async () => ({ width: 64, height: 64 }),
    onProgress,
  };
}

const records = (out = join(dir, "out", "results.json")): SampleRecord[] =>
  readFileSync(outputPaths(out).records, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));

describe("eval with the tiny model", () => {
  it("runs, stops after two samples, resumes without redoing any, and reports the missing image", async () => {
    const controller = new AbortController();
    let progressCalls = 0;
    const first = await runEvaluation(
      options(controller.signal, () => {
        progressCalls++;
        if (progressCalls === 3) controller.abort(); // the first call is 0 done; the third follows sample 2
      }),
    );
    expect(first.interrupted).toBe(true);
    expect(records().map((r) => r.image)).toEqual(["scene-0.png", "scene-1.png"]);
    const firstOutputs = records().map((r) => r.raw_output);

    const second = await runEvaluation(options());
    expect(second.interrupted).toBe(false);
    const all = records();
    expect(all.map((r) => r.image)).toEqual(["scene-0.png", "scene-1.png", "scene-3.png", "scene-4.png"]);
    expect(all.slice(0, 2).map((r) => r.raw_output)).toEqual(firstOutputs);
    expect(new Set(all.map((r) => r.id)).size).toBe(4);
    for (const r of all) {
      expect(r.tokens).toBeGreaterThan(0);
      expect(r.tokens).toBeLessThanOrEqual(12);
      expect(r.raw_output.length).toBeGreaterThan(0);
      expect([0, 1]).toContain(r.score);
    }
    expect(second).toMatchObject({
      model: "geozero-tiny",
      dtype: "q4",
      device: "onnxruntime-node cpu",
      records: 5,
      evaluated: 4,
      missing_images: 1,
      missing: [join(dir, "images", "never-downloaded.png")],
    });
    expect(second.samples_per_second).toBeGreaterThan(0);
    expect(second.metrics.accuracy).toBe((all.filter((r) => r.score === 1).length / 4) * 100);
    const summaryFile = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8"));
    expect(summaryFile.evaluated).toBe(4);
    expect(readFileSync(join(dir, "out", "results.md"), "utf8")).toContain("| samples | 4 of 5 |");
  }, 120_000);

  it("samples reproducibly from the recorded seed", async () => {
    const request = { imagePath: join(dir, "images", "scene-0.png"), instruction: "Describe.", useSystemPrompt: false };
    const sample = decodingFor("vqa", undefined, 10);
    const answers = [];
    for (const seed of [3, 3, 4]) answers.push(await answerer.answer(request, sample, { seed }));
    const [a, b, other] = answers;
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(other.text);
    expect(a.score).toBeNull();
  }, 60_000);

  it("captions with GeoZero's beam search and records the Generator's beam answer and score", async () => {
    const out = join(dir, "caption-out", "results.json");
    const maxNewTokens = 6;
    const summary = await runEvaluation({
      ...options(undefined, undefined, out),
      task: "caption",
      dataFile: join(dir, "caption.json"),
      decoding: decodingFor("caption", undefined, maxNewTokens),
    });
    expect(summary).toMatchObject({ evaluated: 2, notes: [], decoding: { ...TASK_DECODING.caption, maxNewTokens } });
    const recorded = records(out);
    const generator = new Generator(loaded.model, loaded.processor.tokenizer as never);
    try {
      for (const record of recorded) {
        const { image } = await readModelImage(join(dir, "images", record.image));
        const prompt = await promptFromInstruction(
          loaded.processor,
          image,
          "Describe this image in one sentence.",
          true,
        );
        const direct = await generator.generate(prompt, { ...TASK_DECODING.caption, maxNewTokens });
        expect(direct.score).not.toBeNull();
        expect(record).toMatchObject({
          decoding: "beam",
          raw_output: direct.text.trim(),
          tokens: direct.tokenIds.length,
        });
        expect(record.beam_score).toBeCloseTo(direct.score as number, 5);
        expect(record.note).toBeUndefined();
      }
    } finally {
      generator.dispose();
    }
    expect(summary.samples_per_second).toBeGreaterThan(0);
    console.info(
      `caption, 5 beams, ${maxNewTokens} new tokens, q4 tiny: ${summary.samples_per_second.toFixed(2)} samples/s`,
    );
  }, 120_000);
});
