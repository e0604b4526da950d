/** The settings of an evaluation run in the browser, checked as the user types them, and how far a run got. */
import type { BoxReading } from "../eval/metrics/grounding";
import type { SampleRecord } from "../eval/record-format";
import { decodingFor } from "../eval/tasks";
import type { Decoding } from "../tasks/prompts";
import type { SubsetChoice } from "./subset";

export interface RunSettings {
  /** The sample ids to ask, in annotation order. */
  ids: string[];
  subset: SubsetChoice["kind"];
  /** Sampling seeds are `seed + index`, as `npm run eval --seed`. */
  seed: number;
  useSystemPrompt: boolean;
  decoding: Decoding;
  boxReading: BoxReading;
  /** The model the records belong to: a resumed run needs the same one loaded. */
  model: string;
}

/** What the run form holds, as typed. */
export interface RunForm {
  subset: SubsetChoice["kind"];
  count: string;
  subsetSeed: string;
  seed: string;
  maxNewTokens: string;
  useSystemPrompt: boolean;
  boxReading: BoxReading;
}

export type RunFormReading =
  | { valid: true; subset: SubsetChoice; seed: number; decoding: Decoding }
  | { valid: false; reason: string };

function wholeNumber(text: string, name: string, min: number): number | string {
  const n = Number(text);
  return Number.isInteger(n) && n >= min ? n : `${name} takes a whole number ≥ ${min}; got "${text}".`;
}

/** Reads the form; `filteredIds` are the samples the list shows (for the "filtered" subset). */
export function readRunForm(form: RunForm, filteredIds: readonly string[]): RunFormReading {
  const seed = wholeNumber(form.seed, "The seed", 0);
  if (typeof seed === "string") return { valid: false, reason: seed };
  const maxNewTokens = wholeNumber(form.maxNewTokens, "Max new tokens", 1);
  if (typeof maxNewTokens === "string") return { valid: false, reason: maxNewTokens };
  const decoding = decodingFor("grounding", undefined, maxNewTokens);
  if (form.subset === "ids") {
    if (filteredIds.length === 0)
      return { valid: false, reason: "The list shows no samples; change the filter or pick first/random N." };
    return { valid: true, subset: { kind: "ids", ids: [...filteredIds] }, seed, decoding };
  }
  const count = wholeNumber(form.count, "N", 1);
  if (typeof count === "string") return { valid: false, reason: count };
  if (form.subset === "first") return { valid: true, subset: { kind: "first", count }, seed, decoding };
  const subsetSeed = wholeNumber(form.subsetSeed, "The subset seed", 0);
  if (typeof subsetSeed === "string") return { valid: false, reason: subsetSeed };
  return { valid: true, subset: { kind: "random", count, seed: subsetSeed }, seed, decoding };
}

/** How many of the run's samples have a record. */
export function runProgress(settings: RunSettings, records: readonly SampleRecord[]): { done: number; total: number } {
  const recorded = new Set(records.map((r) => r.id));
  return { done: settings.ids.filter((id) => recorded.has(id)).length, total: settings.ids.length };
}
