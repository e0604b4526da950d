/**
 * GeoZero's evaluation annotation files (its `GeoZero_Eval_Datasets`): a JSON list of records with `images` (paths),
 * `conversations` (a `human` turn whose value holds `<image>` then the instruction, then a `gpt` turn with the
 * reference), optional `system`, and for captioning `refs`. Read as GeoZero's `VisionLanguageInfDataset` reads them:
 * the instruction is the text after the first `<image>` marker (up to a second one), trimmed; the label is the last
 * turn's value when it is from `gpt`, else ""; captioning references are `refs` when it is a non-empty list, else that
 * label, else [""]. GeoZero ignores a record's `system` (its `--system True` adds its own prompt), and so does the run.
 * Only single-image, single-question records are supported; others are refused by record number.
 *
 * Pure: the text comes from the Node tool (`dataset.ts`) or from a file the browser opened.
 */
import type { EvalTask } from "./tasks";

/** One annotation record as the evaluation asks it. */
export interface AnnotationEntry {
  /** Stable within a file: the record's position and image, so a resumed run can skip what is done. */
  id: string;
  index: number;
  /** The image path as written in the file. */
  image: string;
  instruction: string;
  /** The reference answer (for captioning, the first reference). */
  label: string;
  /** Captioning references; [label] for the other tasks. */
  references: string[];
}

export interface ParsedAnnotations {
  entries: AnnotationEntry[];
  /** Records counted from the file, after `limit`. */
  total: number;
  warnings: string[];
}

interface Turn {
  from: string;
  value: string;
}

/** A record's id in `results.jsonl`: its position in the annotation file and its image path. */
export function sampleId(index: number, image: string): string {
  return `${index}:${image}`;
}

export class AnnotationError extends Error {}

function fail(file: string, message: string): never {
  throw new AnnotationError(`${file}: ${message}`);
}

function parseTurns(file: string, index: number, raw: unknown): Turn[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    fail(
      file,
      `record ${index} has no "conversations" list; each record needs [{"from": "human", "value": "<image>…"}, …].`,
    );
  }
  return raw.map((turn, t) => {
    const { from, value } = (turn ?? {}) as Partial<Turn>;
    if ((from !== "human" && from !== "gpt") || typeof value !== "string") {
      fail(file, `record ${index}, turn ${t}: expected {"from": "human" | "gpt", "value": string}.`);
    }
    return { from, value };
  });
}

function parseRecord(
  file: string,
  index: number,
  record: unknown,
  task: EvalTask,
  warnings: string[],
): AnnotationEntry {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    fail(file, `record ${index} is not an object.`);
  }
  const { images, conversations, refs } = record as Record<string, unknown>;
  if (!Array.isArray(images) || images.length === 0 || !images.every((p) => typeof p === "string" && p !== "")) {
    fail(file, `record ${index} needs "images": a list of image paths.`);
  }
  if (images.length > 1)
    fail(file, `record ${index} has ${images.length} images; only single-image records are supported.`);
  const turns = parseTurns(file, index, conversations);
  const human = turns.filter((t) => t.from === "human");
  if (human.length !== 1) {
    fail(file, `record ${index} has ${human.length} human turns; only single-question records are supported.`);
  }
  if (turns[0].from !== "human" || !turns[0].value.includes("<image>")) {
    fail(
      file,
      `record ${index}: the first turn must be the human one and hold the "<image>" marker before the instruction.`,
    );
  }
  const instruction = turns[0].value.split("<image>")[1].trim();
  const last = turns[turns.length - 1];
  const label = last.from === "gpt" ? last.value : "";
  let references = [label];
  if (task === "caption") {
    if (Array.isArray(refs) && refs.length >= 1) {
      if (!refs.every((r) => typeof r === "string")) fail(file, `record ${index}: "refs" must be a list of strings.`);
      references = refs as string[];
    }
    if (last.from === "gpt" && warnings.length === 0) {
      warnings.push(
        'Caption records end with a "gpt" turn; GeoZero\'s script would feed it to the model as an assistant turn before generating, this evaluation asks the question alone.',
      );
    }
  }
  const image = images[0] as string;
  return { id: sampleId(index, image), index, image, instruction, label: references[0] ?? "", references };
}

/** Parses an annotation file's text; `file` names it in messages. */
export function parseAnnotations(text: string, file: string, task: EvalTask, limit?: number): ParsedAnnotations {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(
      file,
      `not valid JSON (${(error as Error).message}); GeoZero's annotation files are one JSON list of records.`,
    );
  }
  if (!Array.isArray(parsed)) fail(file, "expected a JSON list of records at the top level.");
  const records = limit === undefined ? parsed : parsed.slice(0, limit);
  const warnings: string[] = [];
  const entries = records.map((record, index) => parseRecord(file, index, record, task, warnings));
  return { entries, total: records.length, warnings };
}
