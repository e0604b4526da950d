/**
 * The evaluation run in Node: reads the annotation file, skips missing images (reported by path and counted) and
 * samples already recorded, runs the shared per-sample loop (`evaluate.ts`) appending each record to `results.jsonl`
 * at once, and writes the summary (JSON and Markdown) from every record — also when stopped through `signal`, so a
 * rerun resumes where this one stopped.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { loadDataset } from "./dataset";
import { type EvaluateOptions, evaluateSamples } from "./evaluate";
import { NO_SYNONYMS } from "./metrics/meteor";
import { RecordFile, type SampleRecord } from "./records";
import { type EvalSummary, formatProgress, summaryMarkdown } from "./report";
import { taskMetrics } from "./score";

export interface RunOptions extends Omit<EvaluateOptions, "samples" | "done" | "append"> {
  dataFile: string;
  imagesDir: string;
  limit?: number;
  /** Summary JSON path; records go to the same name with `.jsonl`, the Markdown summary with `.md`. */
  out: string;
  /** Progress and messages; the CLI draws them on stderr. */
  onProgress?: (line: string) => void;
  log?: (line: string) => void;
}

export const METEOR_WITHOUT_SYNONYMS =
  "METEOR without WordNet synonyms (--no-wordnet-synonyms): a lower bound of NLTK's meteor_score.";

export function outputPaths(out: string): { summary: string; markdown: string; records: string } {
  const base = out.replace(/\.json$/i, "");
  return { summary: `${base}.json`, markdown: `${base}.md`, records: `${base}.jsonl` };
}

export async function runEvaluation(options: RunOptions): Promise<EvalSummary> {
  const { task, answerer, log = () => {} } = options;
  const paths = outputPaths(options.out);
  const data = loadDataset(options.dataFile, options.imagesDir, task, options.limit);
  for (const warning of data.warnings) log(`note: ${warning}`);
  for (const m of data.missing) log(`missing image (record ${m.index}): ${m.imagePath}`);
  mkdirSync(dirname(paths.records), { recursive: true });
  const file = new RecordFile(paths.records);
  const done = file.readDone(task, answerer.info.model);
  const alreadyDone = data.samples.filter((s) => done.has(s.id)).length;
  const started = performance.now();
  let doneThisRun = 0;
  const progress = () =>
    options.onProgress?.(
      formatProgress(alreadyDone + doneThisRun, data.samples.length, doneThisRun, (performance.now() - started) / 1000),
    );
  if (done.size > 0) log(`resuming: ${alreadyDone} of ${data.samples.length} samples already done`);
  progress();
  const outcome = await evaluateSamples({
    ...options,
    samples: data.samples,
    done: new Set(done.keys()),
    append: (record) => {
      file.append(record);
      done.set(record.id, record);
      doneThisRun++;
      progress();
    },
  });
  const summary = summarise(options, data, [...done.values()], outcome.interrupted, outcome.notes);
  writeFileSync(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(paths.markdown, summaryMarkdown(summary));
  return summary;
}

function summarise(
  options: RunOptions,
  data: ReturnType<typeof loadDataset>,
  allRecords: SampleRecord[],
  interrupted: boolean,
  notes: string[],
): EvalSummary {
  const ids = new Set(data.samples.map((s) => s.id));
  const records = allRecords.filter((r) => ids.has(r.id));
  const generationSeconds = records.reduce((sum, r) => sum + r.seconds, 0);
  for (const r of records) if (r.note && !notes.includes(r.note)) notes.push(r.note);
  if (options.task === "caption" && options.meteorSynonyms === NO_SYNONYMS) notes.push(METEOR_WITHOUT_SYNONYMS);
  return {
    ...options.answerer.info,
    task: options.task,
    data: options.dataFile,
    images: options.imagesDir,
    system_prompt: options.useSystemPrompt,
    decoding: options.decoding,
    seed: options.seed,
    box_reading: options.task === "grounding" ? options.boxReading : null,
    records: data.total,
    evaluated: records.length,
    missing_images: data.missing.length,
    missing: data.missing.map((m) => m.imagePath),
    generation_seconds: generationSeconds,
    samples_per_second: generationSeconds > 0 ? records.length / generationSeconds : 0,
    interrupted,
    notes,
    metrics: taskMetrics(options.task, records, options.meteorSynonyms),
  };
}
