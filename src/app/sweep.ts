/**
 * A sweep in the browser: chips cropped by the imagery worker exactly as a crop is, asked through the model worker's
 * one queue, each record kept in IndexedDB as it finishes; Pause (after the chip in hand), Resume, Stop (within one
 * model step, as Stop does for a question), retry of failed chips, and resume after a reload. While a sweep runs it
 * holds the model (a load waits until it ends), and a sweep finding another model loaded does not start: records
 * never mix models.
 */
import type { GeoReference } from "../geo/georef";
import { cropWindowInWorker } from "../imagery/imagery-client";
import type { ImagerySource } from "../imagery/sources";
import { errorMessage } from "../io/error-data";
import { modelWorker } from "../model/client";
import { loadedModelOf, useModelStore } from "../state/model-store";
import { selectionBBox, useAppStore } from "../state/store";
import { type StoredSweep, SweepDb, type SweepStatus } from "../state/sweep-db";
import { type ActiveSweep, useSweepStore } from "../state/sweep-store";
import { ChipTimer } from "../sweep/estimate";
import { type Chip, imageryRect, rectGeoref } from "../sweep/plan";
import { type ChipRecord, type SweepHeader, type SweepRequest, sweepChipsOf, sweepHeader } from "../sweep/records";
import { type ChipAnswer, type SweepEnd, sweepChips } from "../sweep/run";
import { classesFor } from "../tasks/class-lists";
import type { TaskId } from "../tasks/prompts";
import { holdModel, modelName } from "./model";
import { drawSweepLayers, earlierChipTimes, keepChipTimes, refreshSweepResults, sweepSourceOf } from "./sweep-view";

const sweeps = () => useSweepStore.getState();

/** Answers one chip: the model worker in the app, a scripted answerer in the test build. */
export interface ChipAnswerer {
  /** The model name records carry. */
  readonly model: string;
  answer(
    image: Blob,
    context: { chip: Chip; georef: GeoReference; header: SweepHeader; seed: number },
    signal: AbortSignal,
  ): Promise<ChipAnswer>;
}

/**
 * The loaded model in the model worker, each chip from a fresh state with its own seed. A run checks that it is the
 * sweep's model before its first chip and holds it (holdModel) until it ends, so a load asked meanwhile waits and
 * the worker answers every chip with the model the records name.
 */
function workerAnswerer(): ChipAnswerer {
  return {
    model: modelName(),
    answer: async (image, { header, seed }, signal) => {
      const { instruction, useSystemPrompt, decoding, budget } = header.request;
      let input = { width: 0, height: 0 };
      const result = await modelWorker().call(
        "generate",
        { image, instruction, useSystemPrompt, decoding, budget, seed, fresh: true },
        {
          signal,
          onEvent: (event) => {
            if (event.status === "prefill") input = { width: event.inputWidth, height: event.inputHeight };
          },
        },
      );
      return {
        text: result.text,
        tokens: result.tokens,
        inputWidth: input.width,
        inputHeight: input.height,
        modelMs: result.totalMs,
      };
    },
  };
}

let testAnswerer: ChipAnswerer | null = null;

/** Test builds only: answers chips with a scripted answerer instead of the model (null: the model again). */
export function setChipAnswererForTests(answerer: ChipAnswerer | null): void {
  testAnswerer = answerer;
}

/** Whether chips can be answered now: a model is loaded (or, in a test build, a scripted answerer is set). */
export function chipAnswererReady(): boolean {
  return answerer() !== null;
}

function answerer(): ChipAnswerer | null {
  if (testAnswerer) return testAnswerer;
  return loadedModelOf(useModelStore.getState().load) ? workerAnswerer() : null;
}

let opening: Promise<SweepDb> | null = null;
function database(): Promise<SweepDb> {
  opening ??= SweepDb.open();
  return opening;
}

/** The sweep running now: its controllers (Stop aborts the chip in hand, Pause lets it finish). */
let running: { id: string; stop: AbortController; pause: AbortController } | null = null;

function storedOf(active: ActiveSweep, status: SweepStatus, reason: string | null): StoredSweep {
  return { id: active.header.id, header: active.header, createdAt: active.createdAt, status, reason };
}

/** Keeps a sweep's status; a browser that cannot store it keeps the sweep in memory and says so. */
async function keepStatus(status: SweepStatus, reason: string | null): Promise<void> {
  const active = sweeps().active;
  if (!active) return;
  sweeps().updateActive((a) => ({ ...a, status, reason }));
  try {
    await (await database()).putSweep(storedOf(active, status, reason));
  } catch (error) {
    sweeps().set({ error: `The sweep could not be kept in this browser: ${errorMessage(error)}` });
  }
  await listSweeps();
}

/** The source a sweep reads, if it is still listed (a GeoTIFF file must be opened again after a reload). */
function sourceOf(header: SweepHeader): ImagerySource | null {
  return useAppStore.getState().sources.find((s) => s.id === header.source.id) ?? null;
}

/** The chips left to do: without a record, or (retrying) with a failed one; chips outside the imagery never. */
function chipsToDo(active: ActiveSweep, retryFailed: boolean): Chip[] {
  return sweepChipsOf(active.header).filter((chip) => {
    if (chip.coverage === "outside") return false;
    const record = active.records.get(chip.index);
    return record === undefined || (retryFailed && record.status === "failed");
  });
}

/** Why a sweep cannot run now, in words with what to do, or null when it can. */
function cannotRun(header: SweepHeader): string | null {
  if (running) return "A sweep is already running; pause or stop it first.";
  if (!sourceOf(header)) return `This sweep reads ${header.source.name}, which is not open: open it again to go on.`;
  const chosen = answerer();
  if (!chosen) return `Load ${header.model} in the Model panel first.`;
  if (chosen.model !== header.model) {
    return `This sweep's chips were answered by ${header.model}, but ${chosen.model} is loaded: load ${header.model} to go on (a sweep's records never mix models).`;
  }
  return null;
}

/** Starts a sweep of the previewed plan, asking each chip `instruction` for `task`. */
export async function startSweep(task: TaskId, instruction: string): Promise<void> {
  const { preview } = sweeps();
  const chosen = answerer();
  const state = useAppStore.getState();
  const source = state.sources.find((s) => s.id === state.sourceId);
  const bbox = selectionBBox(state.selection);
  if (!preview?.result.valid || !chosen || !source || !bbox || running) return;
  const model = useModelStore.getState();
  const request: SweepRequest = {
    task,
    instruction,
    useSystemPrompt: model.useSystemPrompt,
    decoding: model.decoding,
    budget: model.budget,
    boxConvention: model.boxConvention,
    ...(task === "scene_cls" ? { classes: classesFor(model.classListId, model.customClasses) } : {}),
    defaultLabel: task === "grounding" ? model.groundingTarget.trim() || "object" : "object",
    seed: Math.floor(Math.random() * 2 ** 31),
  };
  const { plan } = preview.result;
  const sweepSource = await sweepSourceOf(source);
  const header = sweepHeader({
    source: { id: source.id, name: source.name },
    bbox,
    plan,
    imagery: imageryRect(sweepSource, plan.grid),
    request,
    model: chosen.model,
  });
  sweeps().set({ active: activeOf(header, Date.now(), [], "paused", null), shownChip: null, error: null });
  await runSweep(false);
}

function activeOf(
  header: SweepHeader,
  createdAt: number,
  records: ChipRecord[],
  status: SweepStatus,
  reason: string | null,
): ActiveSweep {
  return {
    header,
    createdAt,
    records: new Map(records.map((r) => [r.chip, r])),
    status,
    reason,
    current: null,
    secondsPerChip: null,
    doneThisRun: 0,
    runStartedAt: performance.now(),
    merged: [],
  };
}

/** Resumes the sweep shown: the chips without a record (or, retrying, those that failed). */
export function resumeSweep(retryFailed = false): Promise<void> {
  return runSweep(retryFailed);
}

async function runSweep(retryFailed: boolean): Promise<void> {
  const active = sweeps().active;
  if (!active) return;
  const problem = cannotRun(active.header);
  if (problem) {
    sweeps().updateActive((a) => ({ ...a, reason: problem }));
    return;
  }
  const { header } = active;
  const source = sourceOf(header) as ImagerySource;
  const chosen = answerer() as ChipAnswerer;
  const control = { id: header.id, stop: new AbortController(), pause: new AbortController() };
  running = control;
  // A load asked meanwhile waits until the sweep pauses, stops, finishes or fails: its records never mix models.
  const release = holdModel("the sweep");
  let end: SweepEnd;
  const timer = new ChipTimer(earlierChipTimes(header.model, header.plan.settings.chipSize, header.request.task));
  try {
    sweeps().updateActive((a) => ({
      ...a,
      doneThisRun: 0,
      runStartedAt: performance.now(),
      secondsPerChip: timer.secondsPerChip(),
    }));
    await keepStatus("running", null);
    const zoom = header.plan.grid.kind === "raster" ? header.plan.grid.level : header.plan.grid.zoom;
    const db = await database().catch(() => null);
    end = await sweepChips(
      header,
      chipsToDo(active, retryFailed),
      {
        crop: async (chip, signal) => {
          const image = await cropWindowInWorker(source, zoom, chip.rect, () => {}, signal);
          return { image: image.png, rect: chip.rect };
        },
        answer: (image, chip, seed, signal) =>
          chosen.answer(image, { chip, georef: rectGeoref(header.plan.grid, chip.rect), header, seed }, signal),
        keep: async (record) => {
          if (!db) throw new Error("this browser offers no IndexedDB (a private window?)");
          await db.putChip(record);
        },
      },
      {
        pause: control.pause.signal,
        onEvent: (event) => {
          if (event.status === "chip-started") {
            sweeps().updateActive((a) => ({ ...a, current: event.chip }));
            refreshSweepResults();
            return;
          }
          timer.record(event.record.timing.totalMs);
          addRecord(event.record, timer);
        },
      },
      control.stop.signal,
    );
  } finally {
    running = null;
    release();
    keepChipTimes(header.model, header.plan.settings.chipSize, header.request.task, timer.recent());
  }
  await ended(end, control);
}

function addRecord(record: ChipRecord, timer: ChipTimer): void {
  sweeps().updateActive((a) => {
    if (a.header.id !== record.sweep) return a;
    const records = new Map(a.records);
    records.set(record.chip, record);
    return { ...a, records, current: null, doneThisRun: a.doneThisRun + 1, secondsPerChip: timer.secondsPerChip() };
  });
  refreshSweepResults();
}

async function ended(end: SweepEnd, control: NonNullable<typeof running>): Promise<void> {
  sweeps().updateActive((a) => ({ ...a, current: null }));
  switch (end.status) {
    case "finished":
      await keepStatus("finished", null);
      break;
    case "paused":
      await keepStatus("paused", "Paused by you.");
      break;
    case "aborted":
      await keepStatus(
        control.pause.signal.aborted && !control.stop.signal.aborted ? "paused" : "stopped",
        control.stop.signal.aborted ? "Stopped by you: the chip in hand was not kept." : "Paused.",
      );
      break;
    case "model-failed":
      await keepStatus("paused", `Paused at chip ${end.chip}: ${errorMessage(end.error)}`);
      break;
    case "not-kept":
      await keepStatus(
        "paused",
        `Paused: chip ${end.chip}'s record could not be kept (${errorMessage(end.error)}). The records kept so far stay; free some storage (or delete old sweeps in the history), then Resume.`,
      );
      break;
  }
  refreshSweepResults(true);
}

/** Pauses the sweep once the chip in hand is answered and kept. */
export function pauseSweep(): void {
  if (!running) return;
  running.pause.abort();
  sweeps().updateActive((a) => ({ ...a, status: "pausing" }));
}

/** Stops the sweep within one model step (the chip in hand is dropped); the next question starts at once. */
export function stopSweep(): void {
  running?.stop.abort();
}

/** Lists the kept sweeps with their counts. */
export async function listSweeps(): Promise<void> {
  try {
    const db = await database();
    const stored = await db.sweeps();
    const list = await Promise.all(
      stored.map(async (s) => {
        const records = await db.chips(s.id);
        return {
          ...s,
          done: records.filter((r) => r.status === "done").length,
          failed: records.filter((r) => r.status === "failed").length,
        };
      }),
    );
    sweeps().set({ list });
  } catch (error) {
    sweeps().set({ error: `The kept sweeps could not be read: ${errorMessage(error)}` });
  }
}

/** Shows a kept sweep: its records, grid, merged objects; it can be resumed if chips are left. */
export async function showSweep(id: string): Promise<void> {
  if (running && running.id !== id) return;
  const db = await database();
  const stored = (await db.sweeps()).find((s) => s.id === id);
  if (!stored) return;
  const records = await db.chips(id);
  sweeps().set({
    active: activeOf(stored.header, stored.createdAt, records, stored.status, stored.reason),
    shownChip: null,
  });
  refreshSweepResults(true);
}

let restored: Promise<void> | null = null;

/**
 * After a reload: the last sweep comes back, one that was running marked paused (load its model, then Resume), and
 * the history lists every kept sweep.
 */
export function restoreSweeps(): Promise<void> {
  restored ??= (async () => {
    try {
      const db = await database();
      const stored = await db.sweeps();
      for (const s of stored.filter((s) => s.status === "running")) {
        await db.putSweep({
          ...s,
          status: "paused",
          reason: `Paused by the reload: load ${s.header.model}, then Resume.`,
        });
      }
      await listSweeps();
      const last = sweeps().list[0];
      if (last && last.status !== "finished" && !sweeps().active) await showSweep(last.id);
    } catch (error) {
      sweeps().set({ error: `The kept sweeps could not be read: ${errorMessage(error)}` });
    }
  })();
  return restored;
}

/** Deletes a kept sweep and its records (not the one running). */
export async function deleteSweep(id: string): Promise<void> {
  if (running?.id === id) return;
  try {
    await (await database()).delete(id);
  } catch (error) {
    sweeps().set({ error: `The sweep could not be deleted: ${errorMessage(error)}` });
    return;
  }
  if (sweeps().active?.header.id === id) {
    sweeps().set({ active: null });
    drawSweepLayers();
  }
  await listSweeps();
}

/** Whether a sweep is running now. */
export function sweepRunning(): boolean {
  return running !== null;
}
