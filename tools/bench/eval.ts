/**
 * Eval throughput (Node, onnxruntime-node CPU, the tiny demo model at q4): `npm run eval`'s whole per-sample path —
 * image read, prompt, generation, answer parsing, scoring, record append — on generated 256 × 256 scenes, 32 new
 * tokens, greedy (scene_cls) and GeoZero's 5-beam search (caption), reported as samples per second by the run's own
 * summary.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { loadGeneratorAnswerer } from "../../src/eval/generator-answerer";
import { GEOZERO_BOX_READING } from "../../src/eval/metrics/grounding";
import { openWordNet } from "../../src/eval/metrics/wordnet";
import { runEvaluation } from "../../src/eval/run";
import { decodingFor } from "../../src/eval/tasks";
import type { BenchPart } from "./parts";

const SAMPLES = 8;
const SIDE = 256;
const NEW_TOKENS = 32;

async function makeFixture(dir: string): Promise<{ scene_cls: string; caption: string }> {
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
  const files = { scene_cls: join(dir, "scene_cls.json"), caption: join(dir, "caption.json") };
  writeFileSync(files.scene_cls, JSON.stringify(records));
  const captions = records.map(({ images }) => ({
    images,
    conversations: [{ from: "human", value: "<image>\nDescribe this image in one sentence." }],
    refs: ["green farmland"],
  }));
  writeFileSync(files.caption, JSON.stringify(captions));
  return files;
}

export const evalBench: BenchPart = {
  name: "eval",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "bench-eval-"));
    try {
      const dataFiles = await makeFixture(dir);
      const answerer = await loadGeneratorAnswerer("model-cache/geozero-tiny", { dtype: "q4" });
      console.log(
        `model: geozero-tiny q4 on onnxruntime-node CPU; ${SAMPLES} samples of ${SIDE}² px, ${NEW_TOKENS} new tokens`,
      );
      for (const task of ["scene_cls", "caption"] as const) {
        const summary = await runEvaluation({
          task,
          dataFile: dataFiles[task],
          imagesDir: join(dir, "images"),
          useSystemPrompt: false,
          out: join(dir, task, "results.json"),
          seed: 42,
          decoding: decodingFor(task, undefined, NEW_TOKENS),
          boxReading: GEOZERO_BOX_READING,
          meteorSynonyms: openWordNet(),
          answerer,
          imageSize: async () => ({ width: SIDE, height: SIDE }),
        });
        const kind = task === "caption" ? "beam search (5 beams, length penalty 0.8, early stopping)" : "greedy";
        console.log(
          `eval throughput, ${task}, ${kind}: ${summary.samples_per_second.toFixed(2)} samples/s (${summary.generation_seconds.toFixed(2)} s generating)`,
        );
      }
      await answerer.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
