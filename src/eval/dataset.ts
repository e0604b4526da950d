/**
 * GeoZero's evaluation annotation files (its `GeoZero_Eval_Datasets`): a JSON list of records with `images` (paths),
 * `conversations` (a `human` turn whose value holds `<image>` then the instruction, then a `gpt` turn with the
 * reference), optional `system`, and for captioning `refs`. Read as GeoZero's `VisionLanguageInfDataset` reads them:
 * the instruction is the text after the first `<image>` marker (up to a second one), trimmed; the label is the last
 * turn's value when it is from `gpt`, else ""; captioning references are `refs` when it is a non-empty list, else that
 * label, else [""]. GeoZero ignores a record's `system` (its `--system True` adds its own prompt), and so does the run.
 * Only single-image, single-question records are supported; others are refused by record number.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { EvalTask } from "./tasks";

export interface EvalSample {
  /** Stable within a file: the record's position and image, so a resumed run can skip what is done. */
  id: string;
  index: number;
  /** The path as written in the file, and resolved against the images folder. */
  image: string;
  imagePath: string;
  instruction: string;
  /** The reference answer (for captioning, the first reference). */
  label: string;
  /** Captioning references; [label] for the other tasks. */
  references: string[];
}

export interface LoadedDataset {
  samples: EvalSample[];
  /** Records whose image file does not exist: skipped and counted. */
  missing: Array<{ index: number; image: string; imagePath: string }>;
  /** Records counted from the file, after `limit`. */
  total: number;
  warnings: string[];
}

interface Turn {
  from: string;
  value: string;
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

function parseRecord(file: string, index: number, record: unknown, task: EvalTask, warnings: string[]) {
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
  return { image: images[0] as string, instruction, label: references[0] ?? "", references };
}

/** Reads an annotation file; images are resolved against `imagesDir` (absolute paths are kept). */
export function loadDataset(file: string, imagesDir: string, task: EvalTask, limit?: number): LoadedDataset {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new AnnotationError(`Cannot read the annotation file ${file}: ${(error as Error).message}`);
  }
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
  const samples: EvalSample[] = [];
  const missing: LoadedDataset["missing"] = [];
  records.forEach((record, index) => {
    const { image, instruction, label, references } = parseRecord(file, index, record, task, warnings);
    const imagePath = isAbsolute(image) ? image : resolve(imagesDir, image);
    if (!existsSync(imagePath)) {
      missing.push({ index, image, imagePath });
      return;
    }
    samples.push({ id: `${index}:${image}`, index, image, imagePath, instruction, label, references });
  });
  return { samples, missing, total: records.length, warnings };
}
