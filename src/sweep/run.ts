/**
 * A sweep's chip loop, the same in the browser and in `npm run sweep`: each chip cropped, asked, read and kept as it
 * finishes; the next chip is cropped while the model answers the current one. What crops, answers and keeps is
 * passed in (the imagery worker and the model worker's queue in the browser; the Node adapters in tools/sweep).
 */
import { type AnswerState, splitAnswer } from "../tasks/answer";
import { findBoxes } from "../tasks/boxes";
import { matchClass } from "../tasks/class-lists";
import { recordedModelInput } from "../tasks/model-input-size";
import type { Chip, PixelRect } from "./plan";
import { type ChipBox, type ChipRecord, chipSeed, type SweepHeader } from "./records";

/** A chip's image as the crop code made it; `image` is whatever the answerer takes (a PNG Blob, raw pixels). */
export interface CroppedChip<I> {
  image: I;
  /** The grid pixels actually cropped. */
  rect: PixelRect;
}

/** A chip's answer from the model. */
export interface ChipAnswer {
  text: string;
  tokens: number;
  /** The image size the model saw (0 when not reported). */
  inputWidth: number;
  inputHeight: number;
  /** The model's own time for the chip (image preparation, prompt, generation), when the answerer measures it. */
  modelMs?: number;
}

/** What a sweep runs on: the crop code, the model (through its one queue) and the records' store. */
export interface SweepWork<I> {
  crop(chip: Chip, signal: AbortSignal): Promise<CroppedChip<I>>;
  answer(image: I, chip: Chip, seed: number, signal: AbortSignal): Promise<ChipAnswer>;
  /** Keeps a record; a failure (storage full) pauses the sweep with what was kept so far kept. */
  keep(record: ChipRecord): Promise<void>;
}

/** What the loop reports, tagged by `status`. */
export type SweepEvent = { status: "chip-started"; chip: number } | { status: "chip-done"; record: ChipRecord };

/** How the loop ended: every chip done, paused between chips, stopped mid-chip, or kept from going on. */
export type SweepEnd =
  | { status: "finished" }
  | { status: "paused" }
  | { status: "aborted" }
  | { status: "model-failed"; chip: number; error: unknown }
  | { status: "not-kept"; chip: number; error: unknown };

/** Times a promise's settling, returning its value or its rejection and the milliseconds it took. */
async function timed<T>(
  work: () => Promise<T>,
): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number }> {
  const started = performance.now();
  try {
    const value = await work();
    return { ok: true, value, ms: performance.now() - started };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - started };
  }
}

/**
 * Runs the chips in order: crop (the next chip's while the model answers), answer, read, keep. `signal` stops within
 * the chip in hand (the model stops before its next step); `pause` lets that chip finish first. A chip whose crop
 * fails (a tile server error, a missing tile) is kept as failed with the reason and the sweep goes on; a model
 * failure or a record that cannot be kept ends the loop, the chip left to do again.
 */
export async function sweepChips<I>(
  header: SweepHeader,
  chips: readonly Chip[],
  work: SweepWork<I>,
  {
    onEvent,
    pause,
  }: { onEvent(event: SweepEvent): void /** Ends the loop after the chip in hand. */; pause?: AbortSignal },
  signal: AbortSignal,
): Promise<SweepEnd> {
  const cropOf = (chip: Chip) => timed(() => work.crop(chip, signal));
  let next = chips.length > 0 ? cropOf(chips[0]) : null;
  let lastEnd = performance.now();
  for (let k = 0; k < chips.length; k++) {
    const chip = chips[k];
    if (signal.aborted) return { status: "aborted" };
    if (pause?.aborted) return { status: "paused" };
    onEvent({ status: "chip-started", chip: chip.index });
    const cropped = await (next as ReturnType<typeof cropOf>);
    if (signal.aborted) return { status: "aborted" };
    next = k + 1 < chips.length ? cropOf(chips[k + 1]) : null;
    const seed = chipSeed(header.request.seed, chip.index);
    let record: ChipRecord;
    if (!cropped.ok) {
      record = failedRecord(header, chip, seed, cropped.error, cropped.ms);
    } else {
      const answered = await timed(() => work.answer(cropped.value.image, chip, seed, signal));
      if (signal.aborted) return { status: "aborted" };
      if (!answered.ok) return { status: "model-failed", chip: chip.index, error: answered.error };
      record = doneRecord(header, chip, cropped.value.rect, seed, answered.value, {
        cropMs: cropped.ms,
        modelMs: answered.ms,
      });
    }
    const now = performance.now();
    record.timing.totalMs = now - lastEnd;
    lastEnd = now;
    const kept = await timed(() => work.keep(record));
    if (!kept.ok) return { status: "not-kept", chip: chip.index, error: kept.error };
    onEvent({ status: "chip-done", record });
  }
  return { status: "finished" };
}

function baseRecord(
  header: SweepHeader,
  chip: Chip,
  seed: number,
): Omit<ChipRecord, "status" | "text" | "think" | "answer" | "boxes" | "droppedBoxes" | "input" | "timing"> {
  return {
    kind: "chip",
    sweep: header.id,
    chip: chip.index,
    row: chip.row,
    col: chip.col,
    rect: chip.rect,
    bbox: chip.bbox,
    seed,
    model: header.model,
    prompt: header.request.instruction,
  };
}

function failedRecord(header: SweepHeader, chip: Chip, seed: number, error: unknown, cropMs: number): ChipRecord {
  return {
    ...baseRecord(header, chip, seed),
    status: "failed",
    text: "",
    think: "",
    answer: "",
    boxes: [],
    droppedBoxes: 0,
    input: { width: 0, height: 0 },
    timing: { cropMs, modelMs: 0, totalMs: 0, tokens: 0 },
    error: error instanceof Error ? error.message : String(error),
  };
}

/** Reads an answer: its reasoning and answer, its boxes in chip and grid pixels, a classification's class. */
export function doneRecord(
  header: SweepHeader,
  chip: Chip,
  rect: PixelRect,
  seed: number,
  answer: ChipAnswer,
  timing: { cropMs: number; modelMs: number },
): ChipRecord {
  const { request } = header;
  const width = rect[2] - rect[0];
  const height = rect[3] - rect[1];
  const split: Pick<AnswerState, "think" | "answer"> = splitAnswer(answer.text);
  const input = recordedModelInput(width, height, answer.inputWidth, answer.inputHeight, request.budget);
  const found = findBoxes(split.answer, {
    convention: request.boxConvention,
    input,
    cropWidth: width,
    cropHeight: height,
  });
  const boxes: ChipBox[] = [];
  for (const box of found) {
    if (!box.pixels) continue;
    const [x1, y1, x2, y2] = box.pixels;
    const label = box.label?.trim() || request.defaultLabel;
    boxes.push({ label, pixels: box.pixels, grid: [x1 + rect[0], y1 + rect[1], x2 + rect[0], y2 + rect[1]] });
  }
  const record: ChipRecord = {
    ...baseRecord(header, chip, seed),
    rect,
    status: "done",
    text: answer.text,
    think: split.think,
    answer: split.answer,
    boxes,
    droppedBoxes: found.length - boxes.length,
    input: { width: input.width, height: input.height },
    timing: { ...timing, modelMs: answer.modelMs ?? timing.modelMs, totalMs: 0, tokens: answer.tokens },
  };
  if (request.task === "scene_cls" && request.classes) {
    const match = matchClass(split.answer, request.classes);
    record.class = match.status === "class" ? match.name : null;
  }
  return record;
}
