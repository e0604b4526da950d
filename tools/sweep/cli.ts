/**
 * `npm run sweep -- --source <archive.pmtiles | raster.tif | https://…/{z}/{x}/{y}.png> --bbox W,S,E,N --task <task>
 * --model model-cache/<id> […]`: sweeps an area chip by chip in Node with the app's planner, crop code, generation
 * module and merge, writing the app's JSONL records (resumed on a rerun) and the merged GeoJSON.
 * `--shard i/n`, or JOB_COMPLETION_INDEX with JOB_COMPLETIONS in a Kubernetes Indexed Job, answers one range of chips;
 * `npm run sweep -- merge <records…> [--out <folder>]` merges the shards' records into one GeoJSON.
 */
import { parseArgs } from "node:util";
import { formatDuration } from "../../src/eval/report";
import { loadModelFolder } from "../../src/model/node-folder";
import { DEFAULT_MERGE, type MergeOptions } from "../../src/sweep/merge";
import { checkShard, DEFAULT_SWEEP_SETTINGS, parseShard, type Shard } from "../../src/sweep/plan";
import type { SweepRequest } from "../../src/sweep/records";
import { BENCHMARK_CLASS_LISTS, parseClassList } from "../../src/tasks/class-lists";
import { buildInstruction, type TaskRequest } from "../../src/tasks/instructions";
import { DEFAULT_PIXEL_BUDGET } from "../../src/tasks/model-input-size";
import { type Decoding, TASK_DECODING, type TaskId } from "../../src/tasks/prompts";
import { openSource, setUpNodeImagery } from "./node-imagery";
import { mergeFiles, runSweepJob, writeResults } from "./sweep";

const USAGE = `Usage:
  npm run sweep -- --source <archive.pmtiles | raster.tif | https://…/{z}/{x}/{y}.png> --bbox W,S,E,N
      --task grounding --target "<object>" [--several] | --task scene_cls (--class-list aid | --classes "a, b, c")
      | --task free|vqa --question "<text>" | --task caption
      --model model-cache/<id> [--dtype q4] [--device cpu|cuda|webgpu]
      [--zoom Z | --level L] [--chip 448] [--overlap 0.15] [--max-chips 100000]
      [--decoding greedy|sample|beam] [--max-new-tokens N] [--seed 1] [--system]
      [--box-convention pixels|relative-1000] [--method nms|wbf] [--iou 0.5]
      [--out sweep-out] [--shard i/n]
  npm run sweep -- merge <records.jsonl…> [--out <folder>] [--method nms|wbf] [--iou 0.5]
In a Kubernetes Indexed Job the shard is JOB_COMPLETION_INDEX of JOB_COMPLETIONS (set it to the Job's completions).`;

function die(message: string): never {
  console.error(message);
  process.exit(2);
}

function number(
  flag: string,
  value: string | undefined,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) die(`--${flag} takes ${what}; got "${value}".`);
  return n;
}

function mergeOptions(values: { method?: string; iou?: string }): MergeOptions {
  const method = values.method ?? DEFAULT_MERGE.method;
  if (method !== "nms" && method !== "wbf") die(`--method takes nms or wbf; got "${method}".`);
  const iouThreshold =
    number("iou", values.iou, (n) => n > 0 && n <= 1, "a number in (0, 1]") ?? DEFAULT_MERGE.iouThreshold;
  return { ...DEFAULT_MERGE, method, iouThreshold };
}

/** `--shard i/n`, else the Indexed Job's JOB_COMPLETION_INDEX of JOB_COMPLETIONS, else the whole sweep. */
function shardOf(flag: string | undefined): Shard | null {
  const env = process.env;
  const checked =
    flag !== undefined
      ? parseShard(flag)
      : env.JOB_COMPLETION_INDEX !== undefined
        ? env.JOB_COMPLETIONS === undefined
          ? die(
              "JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set it to the Job's spec.completions (deploy/sweep-job.yaml does).",
            )
          : checkShard(Number(env.JOB_COMPLETION_INDEX), Number(env.JOB_COMPLETIONS))
        : null;
  if (checked === null) return null;
  if (!checked.valid) die(checked.reason);
  return checked.shard;
}

function taskRequest(values: Record<string, string | boolean | undefined>): { task: TaskId; request: TaskRequest } {
  const task = values.task as TaskId | undefined;
  const text = (key: string) => (typeof values[key] === "string" ? (values[key] as string) : "");
  switch (task) {
    case "grounding":
      return { task, request: { task, target: text("target"), several: values.several === true } };
    case "free":
    case "vqa":
      return { task, request: { task, question: text("question") } };
    case "caption":
      return { task, request: { task } };
    case "scene_cls": {
      const list = BENCHMARK_CLASS_LISTS.find((l) => l.id === text("class-list"));
      const classes = list ? [...list.classes] : parseClassList(text("classes"));
      return { task, request: { task, classes } };
    }
    default:
      die(`--task takes grounding, scene_cls, vqa, caption or free; got "${task ?? ""}".\n${USAGE}`);
  }
}

function decodingOf(task: TaskId, values: Record<string, string | boolean | undefined>): Decoding {
  const kinds = { greedy: TASK_DECODING.scene_cls, sample: TASK_DECODING.vqa, beam: TASK_DECODING.caption };
  const chosen = values.decoding as keyof typeof kinds | undefined;
  if (chosen !== undefined && !(chosen in kinds)) die(`--decoding takes greedy, sample or beam; got "${chosen}".`);
  const base = chosen ? kinds[chosen] : TASK_DECODING[task];
  const maxNewTokens = number(
    "max-new-tokens",
    values["max-new-tokens"] as string | undefined,
    (n) => Number.isInteger(n) && n > 0,
    "a whole number > 0",
  );
  return { ...base, maxNewTokens: maxNewTokens ?? base.maxNewTokens };
}

function bboxOf(text: string | undefined) {
  const parts = (text ?? "").split(",").map(Number);
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v)))
    die(`--bbox "${text ?? ""}" is not W,S,E,N in degrees, e.g. --bbox 9.995,47.995,10.01,48.005.`);
  const [west, south, east, north] = parts;
  return { west, south, east, north };
}

async function sweep(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      source: { type: "string" },
      bbox: { type: "string" },
      task: { type: "string" },
      target: { type: "string" },
      several: { type: "boolean", default: false },
      question: { type: "string" },
      classes: { type: "string" },
      "class-list": { type: "string" },
      model: { type: "string" },
      dtype: { type: "string" },
      device: { type: "string" },
      zoom: { type: "string" },
      level: { type: "string" },
      chip: { type: "string" },
      overlap: { type: "string" },
      "max-chips": { type: "string" },
      decoding: { type: "string" },
      "max-new-tokens": { type: "string" },
      seed: { type: "string" },
      system: { type: "boolean", default: false },
      "box-convention": { type: "string" },
      method: { type: "string" },
      iou: { type: "string" },
      out: { type: "string", default: "sweep-out" },
      shard: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.source || !values.model) die(USAGE);
  const shard = shardOf(values.shard);
  const { task, request: taskAsked } = taskRequest(values);
  let instruction: string;
  try {
    instruction = buildInstruction(taskAsked);
  } catch (error) {
    die(`${(error as Error).message} (--target, --question, --classes or --class-list)`);
  }
  const convention = values["box-convention"] ?? "pixels";
  if (convention !== "pixels" && convention !== "relative-1000")
    die(`--box-convention takes pixels or relative-1000; got "${convention}".`);
  const whole = (n: number) => Number.isInteger(n) && n >= 0;
  const request: SweepRequest = {
    task,
    instruction,
    useSystemPrompt: values.system,
    decoding: decodingOf(task, values),
    budget: DEFAULT_PIXEL_BUDGET,
    boxConvention: convention,
    ...(taskAsked.task === "scene_cls" ? { classes: taskAsked.classes } : {}),
    defaultLabel: taskAsked.task === "grounding" ? taskAsked.target.trim() : "object",
    seed: number("seed", values.seed, whole, "a whole number ≥ 0") ?? 1,
  };
  setUpNodeImagery();
  const source = await openSource(values.source).catch((error: Error) => die(error.message));
  if (source.spec.kind === "xyz" && values.zoom === undefined)
    die("--zoom is needed with a tile template: the zoom the chips are cut at, e.g. --zoom 17.");
  const resolution =
    number(
      source.sweep.kind === "raster" ? "level" : "zoom",
      source.sweep.kind === "raster" ? values.level : values.zoom,
      whole,
      "a whole number ≥ 0",
    ) ?? (source.sweep.kind === "raster" ? 0 : source.sweep.maxZoom);
  const job = {
    source,
    bbox: bboxOf(values.bbox),
    settings: {
      resolution,
      chipSize: number("chip", values.chip, whole, "a multiple of 32") ?? DEFAULT_SWEEP_SETTINGS.chipSize,
      overlap:
        number("overlap", values.overlap, (n) => n >= 0 && n <= 0.75, "a fraction from 0 to 0.75") ??
        DEFAULT_SWEEP_SETTINGS.overlap,
    },
    maxChips:
      number("max-chips", values["max-chips"], (n) => Number.isInteger(n) && n > 0, "a whole number > 0") ?? 100_000,
    request,
    shard,
    out: values.out,
    merge: mergeOptions(values),
  };
  const device = (values.device ?? "cpu") as "cpu" | "cuda" | "webgpu";
  const folder = await loadModelFolder(values.model, { dtype: values.dtype, device }).catch((error: Error) =>
    die(error.message),
  );
  const controller = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\nstopping: the chip in flight is dropped; run the same command to resume.\n");
    controller.abort();
  });
  const started = performance.now();
  try {
    const result = await runSweepJob(
      job,
      folder,
      (line) => process.stderr.write(line.startsWith("\r") ? line : `${line}\n`),
      controller.signal,
    );
    process.stderr.write("\n");
    const failed = [...result.records.values()].filter((r) => r.status === "failed");
    if (failed.length > 0)
      console.log(`${failed.length} chips failed (first: ${failed[0].error}); run the same command to retry them.`);
    console.log(`records: ${result.path}`);
    if (result.end.status === "model-failed" || result.end.status === "not-kept") {
      console.error(`stopped at chip ${result.end.chip}: ${(result.end.error as Error)?.message ?? result.end.error}`);
      process.exitCode = 1;
    } else if (result.end.status !== "finished") process.exitCode = 130;
    else if (shard)
      console.log(
        `merge the shards with: npm run sweep -- merge ${job.out}/records-*-of-${shard.count}.jsonl --out ${job.out}`,
      );
    else console.log(`results: ${writeResults(job.out, result.header, result.records, job.merge).join(", ")}`);
    console.log(`wall time: ${formatDuration((performance.now() - started) / 1000)}`);
  } finally {
    await folder.model.dispose();
  }
}

function merge(args: string[]): void {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string", default: "." }, method: { type: "string" }, iou: { type: "string" } },
  });
  if (positionals.length === 0) die(USAGE);
  try {
    const { written, chips, missing } = mergeFiles(positionals, values.out, mergeOptions(values));
    if (missing > 0)
      console.log(
        `${missing} chips have no done record yet (a shard unfinished, or failed chips): the merge covers the rest.`,
      );
    console.log(`${chips} chip records merged: ${written.join(", ")}`);
  } catch (error) {
    die((error as Error).message);
  }
}

const [first, ...rest] = process.argv.slice(2);
if (first === "merge") merge(rest);
else await sweep(process.argv.slice(2));
