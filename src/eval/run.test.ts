/** The runner's bookkeeping with a deterministic stand-in for generation: resume, missing images, summary. */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { Answerer, AnswerRequest } from "./answerer";
import { GEOZERO_BOX_READING } from "./metrics/grounding";
import { NO_SYNONYMS } from "./metrics/meteor";
import { openWordNet } from "./metrics/wordnet";
import type { SampleRecord } from "./records";
import { formatProgress } from "./report";
import { METEOR_WITHOUT_SYNONYMS, outputPaths, type RunOptions, runEvaluation } from "./run";
import { decodingFor, type EvalTask } from "./tasks";

/** Answers "<answer>{the word after 'say'}</answer>"; aborts `controller` during call number `abortAt`. */
class ScriptedAnswerer implements Answerer {
  readonly info = { model: "scripted", dtype: "none", device: "none" };
  asked: string[] = [];
  constructor(
    private controller?: AbortController,
    private abortAt = Number.POSITIVE_INFINITY,
  ) {}
  async answer(request: AnswerRequest) {
    this.asked.push(request.imagePath);
    if (this.asked.length === this.abortAt) this.controller?.abort();
    const word = /say (.*)$/.exec(request.instruction)?.[1] ?? "";
    return { text: `thinking…</think><answer>${word}</answer>`, tokens: word.length };
  }
  async dispose() {}
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "eval-run-"));
  mkdirSync(join(dir, "img"));
});

function fixture(records: Array<[image: string, say: string, label: string]>, makeImages = true) {
  for (const [image] of records) if (makeImages && image !== "missing.png") writeFileSync(join(dir, "img", image), "x");
  const file = join(dir, "data.json");
  const json = records.map(([image, say, label]) => ({
    images: [image],
    conversations: [
      { from: "human", value: `<image>Please say ${say}` },
      { from: "gpt", value: label },
    ],
  }));
  writeFileSync(file, JSON.stringify(json));
  return file;
}

function options(task: EvalTask, dataFile: string, answerer: Answerer, signal?: AbortSignal): RunOptions {
  return {
    task,
    dataFile,
    imagesDir: join(dir, "img"),
    useSystemPrompt: false,
    out: join(dir, "out", "results.json"),
    seed: 42,
    decoding: decodingFor(task),
    boxReading: GEOZERO_BOX_READING,
    meteorSynonyms: NO_SYNONYMS,
    answerer,
    signal,
    imageSize: async () => ({ width: 800, height: 800 }),
  };
}

const readRecords = (): SampleRecord[] =>
  readFileSync(outputPaths(join(dir, "out", "results.json")).records, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("runEvaluation", () => {
  it("resumes after an interruption without redoing a sample, and reports missing images", async () => {
    const data = fixture([
      ["a.png", "Airport", "airport"],
      ["b.png", "forest", "Forest."],
      ["missing.png", "river", "river"],
      ["c.png", "beach", "desert"],
      ["d.png", "farmland", "farmland"],
    ]);
    const controller = new AbortController();
    const first = new ScriptedAnswerer(controller, 3);
    const partial = await runEvaluation(options("scene_cls", data, first, controller.signal));
    expect(partial.interrupted).toBe(true);
    expect(partial.evaluated).toBe(2);
    expect(readRecords().map((r) => r.image)).toEqual(["a.png", "b.png"]);

    const second = new ScriptedAnswerer();
    const summary = await runEvaluation(options("scene_cls", data, second));
    expect(second.asked.map((p) => p.split("/").pop())).toEqual(["c.png", "d.png"]);
    expect(readRecords().map((r) => r.image)).toEqual(["a.png", "b.png", "c.png", "d.png"]);
    expect(summary).toMatchObject({ interrupted: false, records: 5, evaluated: 4, missing_images: 1 });
    expect(summary.missing).toEqual([join(dir, "img", "missing.png")]);
    expect(summary.metrics.accuracy).toBe(75);
    expect(summary.samples_per_second).toBeGreaterThan(0);
    const markdown = readFileSync(join(dir, "out", "results.md"), "utf8");
    expect(markdown).toContain("| accuracy | 75 |");
    expect(markdown).toContain("| missing images | 1 |");
    const third = new ScriptedAnswerer();
    await runEvaluation(options("scene_cls", data, third));
    expect(third.asked).toEqual([]);
  });

  it("drops a record line cut short by a crash and redoes that sample", async () => {
    const data = fixture([
      ["a.png", "yes", "yes"],
      ["b.png", "no", "yes"],
    ]);
    await runEvaluation({ ...options("vqa", data, new ScriptedAnswerer()), limit: 1 });
    appendFileSync(join(dir, "out", "results.jsonl"), '{"id":"1:b.png","ta');
    const answerer = new ScriptedAnswerer();
    const summary = await runEvaluation(options("vqa", data, answerer));
    expect(answerer.asked).toHaveLength(1);
    expect(readRecords().map((r) => [r.answer, r.score])).toEqual([
      ["yes", 1],
      ["no", 0],
    ]);
    expect(summary.metrics.accuracy).toBe(50);
  });

  it("refuses to mix records of another task into a resumed file", async () => {
    const data = fixture([["a.png", "x", "x"]]);
    await runEvaluation(options("vqa", data, new ScriptedAnswerer()));
    await expect(runEvaluation(options("scene_cls", data, new ScriptedAnswerer()))).rejects.toThrow(
      /records of another run \(task vqa, model scripted\)/,
    );
  });

  it("scores grounding with the image size and buckets", async () => {
    const data = fixture([
      ["a.png", "[100, 120, 300, 340]", "[110, 100, 320, 330]"],
      ["b.png", "nothing", "[0, 0, 20, 20]"],
    ]);
    const summary = await runEvaluation(options("grounding", data, new ScriptedAnswerer()));
    expect(readRecords()[0]).toMatchObject({ hit: true, bucket: "L", predicted_box: [99, 118, 296, 335] });
    expect(readRecords()[0].score).toBeCloseTo(0.7639343627099598, 14);
    expect(summary.metrics).toMatchObject({ accuracy: 50, count_S: 1, count_L: 1, accuracy_L: 100, accuracy_S: 0 });
    expect(summary.box_reading).toEqual({ convention: "pixels", factor: 28 });
  });
});

describe("METEOR's synonym stage in a captioning run", () => {
  it("scores with WordNet, and notes in the summary when it ran without", async () => {
    const data = fixture([["a.png", "the roads ran north", "the roads go north"]]);
    const withWordNet = await runEvaluation({
      ...options("caption", data, new ScriptedAnswerer()),
      meteorSynonyms: openWordNet(),
    });
    expect(readRecords()[0].score).toBeCloseTo(0.9921875, 14); // NLTK's value, see metrics/meteor.test.ts
    expect(withWordNet.notes).toEqual([]);
    const without = await runEvaluation({
      ...options("caption", data, new ScriptedAnswerer()),
      out: join(dir, "out-no-wordnet", "results.json"),
    });
    expect(without.metrics.METEOR).toBeCloseTo(0.6388888888888888, 14);
    expect(without.notes).toEqual([METEOR_WITHOUT_SYNONYMS]);
  });
});

describe("formatProgress", () => {
  it("shows done, rate and time left", () => {
    expect(formatProgress(5, 20, 4, 8)).toBe("[#####···············] 5/20 · 0.50 samples/s · ETA 30 s");
    expect(formatProgress(0, 10, 0, 0)).toBe("[····················] 0/10 · 0.00 samples/s · ETA –");
  });
});
