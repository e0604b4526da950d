/**
 * A sweep's records, the same in the browser (IndexedDB, the JSONL export) and in `npm run sweep`: one header naming
 * the plan, the question and the model, then one record per chip as it finishes. The header's `id` is a hash of all
 * that decides the answers, so records of different plans (or models) are never merged.
 */
import type { BBox } from "../geo/tiles";
import type { BoxConvention } from "../tasks/boxes";
import type { PixelBudget } from "../tasks/model-input-size";
import type { Decoding, TaskId } from "../tasks/prompts";
import { type Chip, type PixelRect, planChips, type SweepPlan } from "./plan";

/** What every chip is asked, and how its answer is read. */
export interface SweepRequest {
  task: TaskId;
  /** The instruction as sent to the model. */
  instruction: string;
  useSystemPrompt: boolean;
  decoding: Decoding;
  budget: PixelBudget;
  boxConvention: BoxConvention;
  /** The classes a classification chooses from. */
  classes?: readonly string[];
  /** The label of boxes written without one (the grounding target). */
  defaultLabel: string;
  /** The sweep's seed: chip i samples with {@link chipSeed}(seed, i). */
  seed: number;
}

/** The first line of a records file: what was swept, how, and by which model. */
export interface SweepHeader {
  kind: "sweep";
  format: 1;
  /** Hash of everything below: records with different ids are of different plans. */
  id: string;
  source: { id: string; name: string };
  bbox: BBox;
  plan: SweepPlan;
  /** The imagery's pixels in the plan's grid when known (chips outside it are skipped), else null. */
  imagery: PixelRect | null;
  request: SweepRequest;
  /** Model id and dtype, as results record it. */
  model: string;
}

/** A box of one chip's answer: in the chip's pixels and in the plan's grid. */
export interface ChipBox {
  label: string;
  pixels: PixelRect;
  grid: PixelRect;
}

/** One chip's answer, kept as it finishes. */
export interface ChipRecord {
  kind: "chip";
  /** The header's id. */
  sweep: string;
  chip: number;
  row: number;
  col: number;
  /** The grid pixels cropped (a raster's chip is clipped at its edge). */
  rect: PixelRect;
  bbox: BBox;
  status: "done" | "failed";
  /** The model's whole text, its reasoning and its answer. */
  text: string;
  think: string;
  answer: string;
  boxes: ChipBox[];
  /** Boxes in the text that could not be used (malformed, outside the chip). */
  droppedBoxes: number;
  /** A classification's class, null when the answer names none of them. */
  class?: string | null;
  /** The image as the model saw it. */
  input: { width: number; height: number };
  seed: number;
  model: string;
  /** The instruction sent. */
  prompt: string;
  /**
   * Milliseconds: the crop; the model's own time (in the model worker, or Node's generation); the chip's share of the
   * sweep's wall time (from the previous chip's end to its own, the next chip's crop overlapping the model).
   */
  timing: { cropMs: number; modelMs: number; totalMs: number; tokens: number };
  /** Why a failed chip failed (a tile server error, a missing tile), naming the fix. */
  error?: string;
}

/** Chip i's sampling seed: the sweep's seed mixed with the chip's index, the same in every shard. */
export function chipSeed(seed: number, index: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** 64-bit FNV-1a of a string's UTF-8 bytes, as 16 hex digits. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

/** JSON with object keys sorted, so equal data hashes equally whatever order it was built in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The header of a sweep, its id computed from the rest. */
export function sweepHeader(fields: Omit<SweepHeader, "kind" | "format" | "id">): SweepHeader {
  const body = {
    source: fields.source,
    bbox: fields.bbox,
    plan: fields.plan,
    imagery: fields.imagery,
    request: fields.request,
    model: fields.model,
  };
  return { kind: "sweep", format: 1, id: fnv1a64(canonical(body)), ...body };
}

/** A header's plan in a few words, for messages that name it. */
export function describeSweep(header: SweepHeader): string {
  const { plan, request, source } = header;
  const where = plan.grid.kind === "raster" ? `level ${plan.grid.level}` : `zoom ${plan.grid.zoom}`;
  return `${header.id}: ${request.task} over ${source.name} at ${where}, ${plan.chipCount} chips of ${plan.settings.chipSize} px, ${header.model}`;
}

/** Every chip of a sweep's plan, with its coverage of the imagery. */
export function sweepChipsOf(header: Pick<SweepHeader, "plan" | "imagery">): Chip[] {
  return planChips(header.plan, header.imagery);
}
