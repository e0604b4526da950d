/**
 * The core of `npm run sweep`: the app's planner, crop code, generation module (on onnxruntime-node) and merge, run
 * headless. Records go to a JSONL file as each chip finishes (the app's format): rerunning the same command resumes
 * it. A shard (`--shard i/n`, or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX) answers a range of the plan's chip
 * indices only; `mergeFiles` merges the shards' records into the one GeoJSON.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatProgress } from "../../src/eval/report";
import { cutForFile } from "../../src/geo/antimeridian";
import type { BBox } from "../../src/geo/tiles";
import { cropWindowHere } from "../../src/imagery/imagery-handlers";
import { Generator } from "../../src/model/generation/generator";
import { promptFromInstruction } from "../../src/model/generation/inputs";
import { type LoadedFolder, readModelImage } from "../../src/model/node-folder";
import type { MergeOptions } from "../../src/sweep/merge";
import { imageryRect, planSweep, type Shard, type SweepSettings, shardRange } from "../../src/sweep/plan";
import {
  type ChipRecord,
  describeSweep,
  type SweepHeader,
  type SweepRequest,
  sweepChipsOf,
  sweepHeader,
} from "../../src/sweep/records";
import { classificationGrid, combineRecords, countsCsv, mergeRecords, readRecords } from "../../src/sweep/results";
import { type ChipAnswer, type SweepEnd, sweepChips } from "../../src/sweep/run";
import type { NodeSource } from "./node-imagery";

/** What one process sweeps. */
export interface SweepJob {
  source: NodeSource;
  bbox: BBox;
  settings: SweepSettings;
  maxChips: number;
  request: SweepRequest;
  shard: Shard | null;
  /** Folder the records (and, unsharded, the merged results) go to. */
  out: string;
  merge: MergeOptions;
}

/** The records file of a shard (or of the whole sweep). */
export function recordsPath(out: string, shard: Shard | null): string {
  return join(out, shard ? `records-${shard.index}-of-${shard.count}.jsonl` : "records.jsonl");
}

/** The sweep's header for a loaded model: the same in every shard, so their records merge. */
export function headerFor(job: SweepJob, model: string): SweepHeader {
  const planned = planSweep(job.source.sweep, job.bbox, job.settings, {
    maxChips: job.maxChips,
    budget: job.request.budget,
  });
  if (!planned.valid) throw new Error(planned.reason);
  const { spec } = job.source;
  return sweepHeader({
    source: { id: spec.id, name: spec.name },
    bbox: job.bbox,
    plan: planned.plan,
    imagery: imageryRect(job.source.sweep, planned.plan.grid),
    request: job.request,
    model,
  });
}

/** The records a file already holds for this sweep (a rerun resumes); another sweep's file is refused by name. */
function keptRecords(path: string, header: SweepHeader): Map<number, ChipRecord> {
  if (!existsSync(path)) {
    writeFileSync(path, `${JSON.stringify(header)}\n`);
    return new Map();
  }
  const text = readFileSync(path, "utf8");
  // A line cut short by a crash is dropped.
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  const reading = readRecords(complete, path);
  if (!reading.valid) throw new Error(`${reading.reason} Remove the file or pass another --out.`);
  if (reading.header.id !== header.id) {
    throw new Error(
      `${path} holds records of another sweep (${describeSweep(reading.header)}); this run is ${describeSweep(header)}. Pass another --out.`,
    );
  }
  if (complete.length !== text.length) writeFileSync(path, complete);
  return new Map(reading.records.map((r) => [r.chip, r]));
}

/** The app's generation module on a loaded folder, each chip from a fresh state with its seed, through its queue. */
function folderAnswerer(folder: LoadedFolder, request: SweepRequest) {
  const generator = new Generator(folder.model, folder.processor.tokenizer as never, { reusePrefix: false });
  return {
    answer: (png: Blob, seed: number, signal: AbortSignal): Promise<ChipAnswer> =>
      folder.queue.run(async () => {
        const { image } = await readModelImage(Buffer.from(await png.arrayBuffer()));
        const prompt = await promptFromInstruction(
          folder.processor,
          image,
          request.instruction,
          request.useSystemPrompt,
        );
        const output = await generator.generate(prompt, { ...request.decoding, seed }, { signal });
        return {
          text: output.text,
          tokens: output.tokenIds.length,
          inputWidth: image.width,
          inputHeight: image.height,
        };
      }, signal),
    dispose: () => generator.dispose(),
  };
}

/** How a run ended, and where its records are. */
export interface SweepRunResult {
  end: SweepEnd;
  header: SweepHeader;
  records: Map<number, ChipRecord>;
  path: string;
  /** Chips this run answered, and their model time. */
  answered: number;
  modelMs: number;
}

/** Runs a job (a shard, or the whole sweep) on a loaded model folder; reruns resume from the records file. */
export async function runSweepJob(
  job: SweepJob,
  folder: LoadedFolder,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<SweepRunResult> {
  const header = headerFor(job, `${folder.id} (${folder.dtype})`);
  mkdirSync(job.out, { recursive: true });
  const path = recordsPath(job.out, job.shard);
  const records = keptRecords(path, header);
  const [start, end] = job.shard
    ? shardRange(job.shard, header.plan.rows * header.plan.cols)
    : [0, header.plan.rows * header.plan.cols];
  const chips = sweepChipsOf(header).filter(
    (c) => c.index >= start && c.index < end && c.coverage !== "outside" && records.get(c.index)?.status !== "done",
  );
  const total = sweepChipsOf(header).filter(
    (c) => c.index >= start && c.index < end && c.coverage !== "outside",
  ).length;
  log(
    `${describeSweep(header)}${job.shard ? `; shard ${job.shard.index} of ${job.shard.count}: chips ${start}–${end - 1}` : ""}; ${total - chips.length} of ${total} already kept in ${path}`,
  );
  const answerer = folderAnswerer(folder, job.request);
  const zoom = header.plan.grid.kind === "raster" ? header.plan.grid.level : header.plan.grid.zoom;
  const started = performance.now();
  let answered = 0;
  let modelMs = 0;
  try {
    const result = await sweepChips(
      header,
      chips,
      {
        crop: async (chip, chipSignal) => {
          const image = await cropWindowHere(job.source.spec, zoom, chip.rect, () => {}, chipSignal);
          return { image: image.png, rect: chip.rect };
        },
        answer: (png, _chip, seed, chipSignal) => answerer.answer(png, seed, chipSignal),
        keep: async (record) => appendFileSync(path, `${JSON.stringify(record)}\n`),
      },
      {
        onEvent: (event) => {
          if (event.status !== "chip-done") return;
          records.set(event.record.chip, event.record);
          answered += 1;
          modelMs += event.record.timing.modelMs;
          const done = total - chips.length + answered;
          log(
            `\r${formatProgress(done, total, answered, (performance.now() - started) / 1000).replace("samples/s", "chips/s")}`,
          );
        },
      },
      signal,
    );
    return { end: result, header, records, path, answered, modelMs };
  } finally {
    answerer.dispose();
  }
}

/** Writes the merged objects (and counts, and a classification's grid) of a sweep's records beside them. */
export function writeResults(
  out: string,
  header: SweepHeader,
  records: ReadonlyMap<number, ChipRecord>,
  merge: MergeOptions,
  geojsonPath = join(out, "merged.geojson"),
): string[] {
  const { merged, geojson } = mergeRecords(header, records, merge);
  const written = [geojsonPath];
  writeFileSync(geojsonPath, `${JSON.stringify(cutForFile(geojson))}\n`);
  writeFileSync(join(out, "counts.csv"), countsCsv(merged));
  written.push(join(out, "counts.csv"));
  if (header.request.task === "scene_cls") {
    writeFileSync(
      join(out, "classes.geojson"),
      `${JSON.stringify(cutForFile(classificationGrid(header, records.values())))}\n`,
    );
    written.push(join(out, "classes.geojson"));
  }
  return written;
}

/** `npm run sweep -- merge <records…>`: the shards' records combined (one plan only) and merged into one GeoJSON. */
export function mergeFiles(
  paths: string[],
  out: string,
  merge: MergeOptions,
): { written: string[]; chips: number; missing: number } {
  const combined = combineRecords(
    paths.map((path) => ({ name: path, reading: readRecords(readFileSync(path, "utf8"), path) })),
  );
  if (!combined.valid) throw new Error(combined.reason);
  const { header, records } = combined;
  mkdirSync(out, { recursive: true });
  const expected = sweepChipsOf(header).filter((c) => c.coverage !== "outside").length;
  const done = [...records.values()].filter((r) => r.status === "done").length;
  return { written: writeResults(out, header, records, merge), chips: records.size, missing: expected - done };
}
