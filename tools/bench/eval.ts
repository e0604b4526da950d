/**
 * Eval throughput (Node, onnxruntime-node CPU, the tiny demo model at q4): `npm run eval`'s whole per-sample path —
 * image read, prompt, generation, answer parsing, scoring, record append — on generated 256 × 256 scenes, greedy,
 * 32 new tokens, reported as samples per second by the run's own summary.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { GEOZERO_BOX_READING } from "../../src/eval/metrics/grounding";
import { runEvaluation } from "../../src/eval/run";
import { decodingFor } from "../../src/eval/tasks";
import { loadTransformersAnswerer } from "../../src/eval/transformers-answerer";
import type { BenchPart } from "./parts";

const SAMPLES = 8;
const SIDE = 256;
const NEW_TOKENS = 32;

async function makeFixture(dir: string): Promise<string> {
  mkdirSync(join(dir, "images"));
  const records = [];
  for (let i = 0; i < SAMPLES; i++) {
    const image = `scene-${i}.png`;
    const background = { r: (i * 40) % 256, g: 120, b: (i * 70) % 256 };
    await sharp({ create: { width: SIDE, height: SIDE, channels: 3, background } })
      .png()
      .toFile(join(dir, "images", image));
    records.push({
      images: [image],
      conversations: [
        { from: "human", value: "<image>\nClassify this scene." },
        { from: "gpt", value: "farmland" },
      ],
    });
  }
  const data = join(dir, "scene_cls.json");
  writeFileSync(data, JSON.stringify(records));
  return data;
}

export const evalBench: BenchPart = {
  name: "eval",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "bench-eval-"));
    try {
      const dataFile = await makeFixture(dir);
      const answerer = await loadTransformersAnswerer("model-cache/geozero-tiny", { dtype: "q4" });
      const summary = await runEvaluation({
        task: "scene_cls",
        dataFile,
        imagesDir: join(dir, "images"),
        useSystemPrompt: false,
        out: join(dir, "out", "results.json"),
        seed: 42,
        decoding: decodingFor("scene_cls", undefined, NEW_TOKENS),
        boxReading: GEOZERO_BOX_READING,
        answerer,
        imageSize: async () => ({ width: SIDE, height: SIDE }),
      });
      await answerer.dispose();
      console.log(
        `model: geozero-tiny q4 on onnxruntime-node CPU; ${SAMPLES} scene_cls samples of ${SIDE}² px, greedy, ${NEW_TOKENS} new tokens`,
      );
      console.log(
        `eval throughput: ${summary.samples_per_second.toFixed(2)} samples/s (${summary.generation_seconds.toFixed(2)} s generating)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
