/**
 * The evaluation's per-sample loop, shared by `npm run eval` (run.ts, records on disk) and the Inspect view's run in
 * the browser (records in IndexedDB): for each sample not yet done, ask the `Answerer`, parse and score the answer as
 * GeoZero's evaluation does, and hand the record to `append` at once, so a stopped run resumes where it stopped.
 */
import type { Decoding } from "../tasks/prompts";
import type { AnnotationEntry } from "./annotations";
import type { Answerer } from "./answerer";
import type { BoxReading } from "./metrics/grounding";
import type { SynonymSource } from "./metrics/meteor";
import type { SampleRecord } from "./record-format";
import { evalAnswer, scoreSample } from "./score";
import type { EvalTask } from "./tasks";

/** A sample to ask: an annotation entry and the path (or key) the answerer reads its image by. */
export interface EvalSample extends AnnotationEntry {
  imagePath: string;
}

export interface EvaluateOptions {
  task: EvalTask;
  samples: readonly EvalSample[];
  /** Ids already recorded; they are skipped. */
  done: ReadonlySet<string>;
  useSystemPrompt: boolean;
  /** Sampling seeds are `seed + index`, recorded per sample. */
  seed: number;
  decoding: Decoding;
  boxReading: BoxReading;
  meteorSynonyms: SynonymSource;
  answerer: Answerer;
  signal?: AbortSignal;
  /** An image's size (grounding maps boxes with it). */
  imageSize: (imagePath: string) => Promise<{ width: number; height: number }>;
  /** Keeps a record; awaited before the next sample starts. */
  append: (record: SampleRecord) => void | Promise<void>;
}

export interface EvaluateOutcome {
  interrupted: boolean;
  /** Notes the answerer attached to samples, once each. */
  notes: string[];
}

/** Asks every sample not yet done, in order; stops before the next sample once `signal` aborts. */
export async function evaluateSamples(options: EvaluateOptions): Promise<EvaluateOutcome> {
  const { answerer, signal } = options;
  const notes = new Set<string>();
  for (const sample of options.samples) {
    if (options.done.has(sample.id)) continue;
    if (signal?.aborted) return { interrupted: true, notes: [...notes] };
    const seed = options.seed + sample.index;
    const t0 = performance.now();
    const result = await answerer.answer(
      { imagePath: sample.imagePath, instruction: sample.instruction, useSystemPrompt: options.useSystemPrompt },
      options.decoding,
      { seed, signal },
    );
    if (signal?.aborted) return { interrupted: true, notes: [...notes] };
    const seconds = (performance.now() - t0) / 1000;
    const image = options.task === "grounding" ? await options.imageSize(sample.imagePath) : null;
    const record = buildRecord(options, sample, result, { seed, seconds, image });
    if (result.note) notes.add(result.note);
    await options.append(record);
  }
  return { interrupted: false, notes: [...notes] };
}

function buildRecord(
  options: EvaluateOptions,
  sample: EvalSample,
  result: Awaited<ReturnType<Answerer["answer"]>>,
  run: { seed: number; seconds: number; image: { width: number; height: number } | null },
): SampleRecord {
  const { task } = options;
  const answer = evalAnswer(result.text);
  const { image } = run;
  return {
    id: sample.id,
    index: sample.index,
    image: sample.image,
    task,
    model: options.answerer.info.model,
    instruction: sample.instruction,
    raw_output: result.text.trim(),
    answer,
    label: task === "caption" ? sample.references : sample.label,
    ...scoreSample(task, answer, sample, image, options.boxReading, options.meteorSynonyms),
    ...(image ? { image_size: [image.width, image.height] as [number, number] } : {}),
    ...(task === "grounding" ? { box_reading: options.boxReading } : {}),
    tokens: result.tokens,
    seconds: run.seconds,
    seed: run.seed,
    decoding: options.decoding.kind,
    ...(typeof result.score === "number" ? { beam_score: result.score } : {}),
    ...(result.note ? { note: result.note } : {}),
  };
}
