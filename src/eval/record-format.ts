/**
 * The per-sample record `npm run eval` appends to `results.jsonl`, one JSON object a line, and the one reader of such
 * lines: checked field by field, so a bad line is reported by number and reason and the rest still loads. Pure; the
 * Node tool reads files (`records.ts`), the Inspect view streams them in the browser.
 */
import type { Decoding } from "../tasks/prompts";
import type { BoxReading } from "./metrics/grounding";
import type { SampleScore } from "./score";
import { EVAL_TASKS, type EvalTask, isEvalTask } from "./tasks";

export interface SampleRecord extends SampleScore {
  id: string;
  index: number;
  image: string;
  task: EvalTask;
  model: string;
  /** The instruction asked (records written before it was added lack it). */
  instruction?: string;
  raw_output: string;
  answer: string;
  /** The reference (scene_cls, vqa, grounding) or references (caption). */
  label: string | string[];
  image_size?: [number, number];
  /** Grounding: how the predicted box was read (records written before it was added lack it). */
  box_reading?: BoxReading;
  tokens: number;
  seconds: number;
  seed: number;
  decoding: Decoding["kind"];
  /** Beam search: the answer's length-penalised score. */
  beam_score?: number;
  note?: string;
  /** A reviewer's mark, added by the Inspect view's export; the evaluation ignores it. */
  review?: ReviewMark;
}

/** A reviewer's verdict on one sample. */
export interface ReviewMark {
  verdict: ReviewVerdict | null;
  note: string;
}

export const REVIEW_VERDICTS = ["correct", "wrong-reference", "ambiguous"] as const;
export type ReviewVerdict = (typeof REVIEW_VERDICTS)[number];

/** One line that could not be read as a record. */
export interface RecordLineProblem {
  line: number;
  /** The record's id when the line got that far. */
  id: string | null;
  reason: string;
}

export type RecordLineResult = { ok: true; record: SampleRecord } | { ok: false; problem: RecordLineProblem };

/** The line `npm run eval` writes for a record. */
export function recordLine(record: SampleRecord): string {
  return `${JSON.stringify(record)}\n`;
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isBox = (v: unknown): boolean => Array.isArray(v) && v.length === 4 && v.every(isNumber);

type Check = [field: string, valid: (value: unknown) => boolean, expected: string];

const REQUIRED: Check[] = [
  ["id", (v) => typeof v === "string" && v !== "", "a non-empty string"],
  ["index", (v) => Number.isInteger(v) && (v as number) >= 0, "a whole number ≥ 0"],
  ["image", (v) => typeof v === "string", "a string"],
  ["task", (v) => typeof v === "string" && isEvalTask(v), `one of ${EVAL_TASKS.join(", ")}`],
  ["model", (v) => typeof v === "string", "a string"],
  ["raw_output", (v) => typeof v === "string", "a string"],
  ["answer", (v) => typeof v === "string", "a string"],
  [
    "label",
    (v) => typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string")),
    "a string or a list of strings",
  ],
  ["score", (v) => v === null || isNumber(v), "a number or null"],
];

const OPTIONAL: Check[] = [
  ["hit", (v) => typeof v === "boolean", "true or false"],
  ["bucket", (v) => v === "S" || v === "M" || v === "L", '"S", "M" or "L"'],
  ["predicted_box", (v) => v === null || isBox(v), "null or four numbers [x1, y1, x2, y2]"],
  ["image_size", (v) => Array.isArray(v) && v.length === 2 && v.every((n) => isNumber(n) && n > 0), "[width, height]"],
  ["instruction", (v) => typeof v === "string", "a string"],
];

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** Reads one line of `results.jsonl` (1-based `line` for messages). */
export function parseRecordLine(text: string, line: number): RecordLineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return problem(line, null, `not JSON (${(error as Error).message}); each line must be one record object.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return problem(line, null, `a ${Array.isArray(value) ? "list" : typeof value}, not a record object.`);
  }
  const fields = value as Record<string, unknown>;
  const id = typeof fields.id === "string" ? fields.id : null;
  for (const [field, valid, expected] of REQUIRED) {
    if (!(field in fields)) return problem(line, id, `no "${field}" field; a record written by npm run eval has one.`);
    if (!valid(fields[field])) return problem(line, id, `"${field}" must be ${expected}; got ${show(fields[field])}.`);
  }
  for (const [field, valid, expected] of OPTIONAL) {
    if (field in fields && !valid(fields[field]))
      return problem(line, id, `"${field}" must be ${expected}; got ${show(fields[field])}.`);
  }
  return { ok: true, record: value as SampleRecord };
}

function problem(line: number, id: string | null, reason: string): RecordLineResult {
  return { ok: false, problem: { line, id, reason } };
}

/**
 * Splits text arriving in chunks into complete lines with their 1-based numbers; blank lines are skipped. A last line
 * without a newline comes from `end()` (the Node reader drops it instead, as a crash may have cut it short).
 */
export class LineSplitter {
  private pending = "";
  private lineNumber = 0;

  push(chunk: string): Array<{ text: string; line: number }> {
    const text = this.pending + chunk;
    const parts = text.split("\n");
    this.pending = parts.pop() ?? "";
    return this.number(parts);
  }

  end(): Array<{ text: string; line: number }> {
    const last = this.pending;
    this.pending = "";
    return this.number([last]);
  }

  private number(parts: string[]): Array<{ text: string; line: number }> {
    const lines: Array<{ text: string; line: number }> = [];
    for (const part of parts) {
      this.lineNumber++;
      if (part.trim() !== "") lines.push({ text: part, line: this.lineNumber });
    }
    return lines;
  }
}
