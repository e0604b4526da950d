/**
 * Every side effect of the Inspect view, in one place (to move into the app layer as it is): reading the files the
 * user opens, the workspace in IndexedDB, running the evaluation on the loaded model, exports and the map.
 */

import { holdModel } from "../app/model";
import { type AnnotationEntry, AnnotationError, parseAnnotations } from "../eval/annotations";
import { evaluateSamples } from "../eval/evaluate";
import { NO_SYNONYMS } from "../eval/metrics/meteor";
import {
  LineSplitter,
  parseRecordLine,
  type RecordLineProblem,
  type ReviewMark,
  type SampleRecord,
} from "../eval/record-format";
import { type GeoReference, parseWorldFile } from "../geo/georef";
import { errorMessage, isAbortError } from "../io/error-data";
import { loadedModelOf, useModelStore } from "../state/model-store";
import { downloadBlob, downloadGeoJson } from "../ui/download";
import { imageFileSize, workerAnswerer } from "./browser-answerer";
import { recordsCsv, recordsJsonl, sampleGeoJson } from "./export";
import { ImageIndex, isImageName } from "./images";
import { InspectDb, type WorkspaceMeta } from "./inspect-db";
import { showOnMap } from "./map-bridge";
import { missingImages, unmatchedRecords } from "./matching";
import { type RunForm, type RunSettings, readRunForm, runProgress } from "./run-settings";
import type { SampleGeometry } from "./sample";
import { type InspectState, NO_PROBLEMS, type OpenedFolder, orderedIds, useInspectStore } from "./store";
import { chooseSubset } from "./subset";

const inspect = () => useInspectStore.getState();

let opening: Promise<InspectDb> | null = null;
function database(): Promise<InspectDb> {
  opening ??= InspectDb.open();
  return opening;
}

/** Runs a write to the workspace; a failure is shown, the view keeps working from memory. */
async function keep(write: (db: InspectDb) => Promise<void>): Promise<void> {
  try {
    await write(await database());
  } catch (error) {
    inspect().set({ storageError: `The workspace could not be kept in this browser: ${errorMessage(error)}` });
  }
}

let meta: WorkspaceMeta = { resultsName: null, annotations: null, run: null };
function updateMeta(partial: Partial<WorkspaceMeta>): Promise<void> {
  meta = { ...meta, ...partial };
  return keep((db) => db.putMeta(meta));
}

let restored: Promise<void> | null = null;

/** Restores the workspace kept in IndexedDB (once per page): records, marks, annotations and the run's state. */
export function restoreWorkspace(): Promise<void> {
  restored ??= (async () => {
    try {
      const db = await database();
      const [kept, records, marks] = await Promise.all([db.meta(), db.records(), db.marks()]);
      meta = kept;
      inspect().set({ marks });
      inspect().setRecords(records, kept.resultsName);
      if (kept.annotations) readAnnotations(kept.annotations.name, kept.annotations.text);
      if (kept.run) {
        const { done, total } = runProgress(kept.run, records);
        inspect().set({
          run:
            done < total
              ? { status: "paused", settings: kept.run, reason: "reloaded" }
              : { status: "finished", settings: kept.run },
        });
      }
      recheck();
    } catch (error) {
      inspect().set({ storageError: `The kept workspace could not be read: ${errorMessage(error)}` });
    }
  })();
  return restored;
}

/** Recounts how records, annotations and images fit together. */
function recheck(): void {
  const { records, annotations, folder, problems } = inspect();
  const mismatch = annotations ? unmatchedRecords(records, annotations.entries) : null;
  const wanted = annotations ? annotations.entries.map((e) => e.image) : records.map((r) => r.image);
  const missing = folder ? missingImages(wanted, folder.images) : [];
  inspect().set({ problems: { ...problems, mismatch, missingImages: missing } });
}

function fileProblem(name: string, text: string): void {
  inspect().set({ problems: { ...inspect().problems, file: { name, message: text } } });
}

/** Gives the page a chance to paint and take input between chunks of a long read. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Opens a `results.jsonl`: streamed in chunks (a 50 MB file never freezes the page), each line read by the shared
 * record reader; bad lines are reported by number and skipped, the rest shown and kept in the workspace.
 */
export async function openResultsFile(file: File): Promise<void> {
  inspect().set({
    reading: { name: file.name, bytes: 0, total: file.size },
    problems: { ...inspect().problems, file: null, lines: null },
  });
  const records = new Map<string, SampleRecord>();
  const problems: RecordLineProblem[] = [];
  const otherTasks = new Map<string, number>();
  let problemCount = 0;
  const take = (lines: Array<{ text: string; line: number }>) => {
    for (const { text, line } of lines) {
      const parsed = parseRecordLine(text, line);
      if (!parsed.ok) {
        problemCount++;
        if (problems.length < 20) problems.push(parsed.problem);
      } else if (parsed.record.task !== "grounding") {
        otherTasks.set(parsed.record.task, (otherTasks.get(parsed.record.task) ?? 0) + 1);
      } else records.set(parsed.record.id, parsed.record);
    }
  };
  try {
    const reader = file.stream().getReader();
    const decoder = new TextDecoder();
    const splitter = new LineSplitter();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      take(splitter.push(decoder.decode(value, { stream: true })));
      inspect().set({ reading: { name: file.name, bytes, total: file.size } });
      await nextTask();
    }
    take(splitter.push(decoder.decode()));
    take(splitter.end());
  } catch (error) {
    inspect().set({ reading: null });
    fileProblem(file.name, `It could not be read (${errorMessage(error)}); the records shown before stay.`);
    return;
  }
  inspect().set({ reading: null });
  if (records.size === 0) {
    const tasks = [...otherTasks].map(([task, n]) => `${n} ${task}`).join(", ");
    fileProblem(
      file.name,
      tasks
        ? `It holds records of other tasks (${tasks}); the Inspect view reviews grounding results (npm run eval -- --task grounding).`
        : `No line of it is a grounding record${problemCount ? ` (${problemCount} unreadable lines)` : ""}; open the results.jsonl that npm run eval wrote. The records shown before stay.`,
    );
    if (problemCount) inspect().set({ problems: { ...inspect().problems, lines: { problems, count: problemCount } } });
    return;
  }
  const list = [...records.values()].sort((a, b) => a.index - b.index);
  inspect().setRecords(list, file.name);
  inspect().set({
    problems: { ...inspect().problems, lines: problemCount ? { problems, count: problemCount } : null },
  });
  if (otherTasks.size > 0)
    fileProblem(file.name, `${[...otherTasks.values()].reduce((a, b) => a + b)} records of other tasks were left out.`);
  recheck();
  if (!inspect().selectedId || !records.has(inspect().selectedId ?? ""))
    inspect().select(orderedIds(inspect())[0] ?? null);
  inspect().set({ keeping: list.length });
  await keep((db) => db.replaceRecords(list));
  inspect().set({ keeping: null });
  await updateMeta({ resultsName: file.name, run: null });
  if (inspect().run.status !== "running") inspect().set({ run: { status: "idle" } });
}

function readAnnotations(name: string, text: string): boolean {
  try {
    const { entries } = parseAnnotations(text, name, "grounding");
    inspect().set({ annotations: { name, entries } });
    return true;
  } catch (error) {
    if (!(error instanceof AnnotationError)) throw error;
    fileProblem(name, `${error.message.slice(name.length + 2)} The annotation file opened before stays.`);
    return false;
  }
}

/** Opens GeoZero's annotation JSON: the samples a run here asks, the instructions and references. */
export async function openAnnotationFile(file: File): Promise<void> {
  inspect().set({ problems: { ...inspect().problems, file: null } });
  const text = await file.text();
  if (!readAnnotations(file.name, text)) return;
  recheck();
  await updateMeta({ annotations: { name: file.name, text } });
}

/** Opens a folder of images (and the world files of georeferenced crops) picked or dropped; nothing is uploaded. */
export function openImageFolder(files: Array<{ path: string; file: File }>): void {
  const images = files.filter((f) => isImageName(f.path));
  const worlds = files.filter((f) => /\.(pgw|jgw|wld)$/i.test(f.path));
  if (images.length === 0) {
    fileProblem(
      "images folder",
      `It holds no PNG, JPEG or WebP images (${files.length} files); open the folder the annotation file's image paths refer to.`,
    );
    return;
  }
  const name = images[0].path.split("/")[0] || "images";
  const folder: OpenedFolder = {
    name,
    images: new ImageIndex(images.map((f) => [f.path, f.file])),
    worldFiles: new ImageIndex(worlds.map((f) => [f.path.replace(/\.(pgw|jgw|wld)$/i, ".png"), f.file])),
  };
  inspect().set({ folder, problems: { ...inspect().problems, file: null } });
  recheck();
}

/** Files from a folder input (`webkitdirectory`), with their paths inside it. */
export function filesFromInput(list: FileList): Array<{ path: string; file: File }> {
  return [...list].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** Files dropped on the view: folders are walked; JSON and JSONL files are opened as annotations and results. */
export async function openDropped(transfer: DataTransfer): Promise<void> {
  const entries = [...transfer.items]
    .map((item) => item.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null);
  const files: Array<{ path: string; file: File }> = [];
  for (const entry of entries) files.push(...(await walk(entry, "")));
  const loose = files.filter((f) => !f.path.includes("/"));
  for (const { file } of loose) {
    if (/\.jsonl$/i.test(file.name)) await openResultsFile(file);
    else if (/\.json$/i.test(file.name)) await openAnnotationFile(file);
  }
  const inFolders = files.filter((f) => f.path.includes("/"));
  if (inFolders.length > 0) openImageFolder(inFolders);
}

async function walk(entry: FileSystemEntry, prefix: string): Promise<Array<{ path: string; file: File }>> {
  const path = `${prefix}${entry.name}`;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path, file }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  const nested = await Promise.all(children.map((child) => walk(child, `${path}/`)));
  return nested.flat();
}

/** Keeps a reviewer's mark (null removes it). */
export async function setMark(id: string, mark: ReviewMark | null): Promise<void> {
  const marks = new Map(inspect().marks);
  if (mark) marks.set(id, mark);
  else marks.delete(id);
  inspect().set({ marks });
  await keep((db) => db.putMark(id, mark));
}

/** The loaded model as the evaluation names it, or why none can run. */
function loadedModel(): { model: string; dtype: string; device: string } | string {
  const loaded = loadedModelOf(useModelStore.getState().load);
  if (!loaded) return "Load a model first (Map view, Model panel).";
  return { model: loaded.modelId, dtype: loaded.dtype, device: `transformers.js ${loaded.device}` };
}

/** Why a run cannot start or resume now, or null. */
function runBlocker(settingsModel: string | null): string | null {
  const { annotations, folder, records } = inspect();
  if (!annotations) return "Open the annotation file first: it holds the samples to ask.";
  if (!folder) return "Open the images folder first.";
  const model = loadedModel();
  if (typeof model === "string") return model;
  if (settingsModel !== null && model.model !== settingsModel)
    return `This run's records are from ${settingsModel}; load that model to resume it, or clear the workspace.`;
  const other = records.find((r) => r.model !== model.model);
  if (other)
    return `The records shown are from ${other.model}, not ${model.model}; export them, then clear the workspace before a run with another model.`;
  return null;
}

/** Starts a run here on the samples the form chooses. */
export async function startRun(form: RunForm): Promise<void> {
  const blocker = runBlocker(null);
  const { annotations } = inspect();
  if (blocker || !annotations) return failRun(blocker ?? "");
  const reading = readRunForm(form, orderedIds(inspect()));
  if (!reading.valid) return failRun(reading.reason);
  const folder = inspect().folder;
  // Samples whose image is missing are left out (the problems list names them), as npm run eval skips them.
  const askable = annotations.entries.filter((e) => folder?.images.find(e.image) !== null).map((e) => e.id);
  const ids = chooseSubset(askable, reading.subset);
  if (ids.length === 0) return failRun("None of the chosen samples has its image in the opened folder.");
  const model = loadedModel() as { model: string };
  const settings: RunSettings = {
    ids,
    subset: reading.subset.kind,
    seed: reading.seed,
    useSystemPrompt: form.useSystemPrompt,
    decoding: reading.decoding,
    boxReading: form.boxReading,
    model: model.model,
  };
  await updateMeta({ run: settings });
  await execute(settings);
}

/** Resumes a stopped or reloaded run: the samples without a record are asked. */
export async function resumeRun(): Promise<void> {
  const { run } = inspect();
  if (run.status !== "paused" && run.status !== "failed") return;
  const blocker = runBlocker(run.settings.model);
  if (blocker) {
    inspect().set({ run: { status: "failed", settings: run.settings, message: blocker } });
    return;
  }
  await execute(run.settings);
}

/** Stops the run after the sample in flight, which is dropped (as `npm run eval` on Ctrl-C). */
export function stopRun(): void {
  const { run } = inspect();
  if (run.status === "running") run.controller.abort();
}

function failRun(text: string): void {
  const { run } = inspect();
  const settings = run.status === "idle" ? null : run.settings;
  inspect().set({
    run: settings ? { status: "failed", settings, message: text } : { status: "idle" },
    problems: { ...inspect().problems, file: settings ? inspect().problems.file : { name: "run", message: text } },
  });
}

async function execute(settings: RunSettings): Promise<void> {
  // Held from before the model is read until the run ends: a load asked meanwhile waits, so records never mix models.
  const release = holdModel("the Inspect run");
  try {
    await executeHolding(settings);
  } finally {
    release();
  }
}

async function executeHolding(settings: RunSettings): Promise<void> {
  const { annotations, folder } = inspect();
  const model = loadedModel();
  if (!annotations || !folder || typeof model === "string") return;
  const wanted = new Set(settings.ids);
  const samples = annotations.entries
    .filter((e: AnnotationEntry) => wanted.has(e.id) && folder.images.find(e.image) !== null)
    .map((e) => ({ ...e, imagePath: e.image }));
  const controller = new AbortController();
  inspect().set({ run: { status: "running", settings, controller } });
  try {
    const outcome = await evaluateSamples({
      task: "grounding",
      samples,
      done: new Set(inspect().records.map((r) => r.id)),
      useSystemPrompt: settings.useSystemPrompt,
      seed: settings.seed,
      decoding: settings.decoding,
      boxReading: settings.boxReading,
      meteorSynonyms: NO_SYNONYMS,
      answerer: workerAnswerer(model, folder.images),
      signal: controller.signal,
      imageSize: async (path) => imageFileSize(folder.images.find(path) as File),
      append: async (record) => {
        // Kept before it is shown: a reload right after the progress moves loses nothing.
        await keep((db) => db.putRecords([record]));
        inspect().addRecord(record);
        if (!inspect().selectedId) inspect().select(record.id);
      },
    });
    const { done, total } = runProgress(settings, inspect().records);
    inspect().set({
      run:
        outcome.interrupted || done < total
          ? { status: "paused", settings, reason: "stopped" }
          : { status: "finished", settings },
    });
  } catch (error) {
    const stopped = isAbortError(error);
    inspect().set({
      run: stopped
        ? { status: "paused", settings, reason: "stopped" }
        : { status: "failed", settings, message: errorMessage(error) },
    });
  }
  recheck();
}

/** The records the list shows (filtered and ordered), or all of them. */
function exportedRecords(scope: "filtered" | "all"): SampleRecord[] {
  const state = inspect();
  if (scope === "all") return state.records;
  return state.order
    .map((i) => state.records.find((r) => r.id === state.rows[i].id))
    .filter((r): r is SampleRecord => r !== undefined);
}

/** Saves records as `results.jsonl` (which `npm run eval` resumes from) or CSV, with the marks. */
export function exportRecords(format: "jsonl" | "csv", scope: "filtered" | "all"): void {
  const records = exportedRecords(scope);
  const { marks, threshold } = inspect();
  if (format === "jsonl") {
    downloadBlob(new Blob([recordsJsonl(records, marks)], { type: "application/x-ndjson" }), "results.jsonl");
  } else {
    downloadBlob(new Blob([recordsCsv(records, marks, threshold)], { type: "text/csv" }), "results.csv");
  }
}

/** The image of a record from the opened folder, and its georeference when a world file lies beside it. */
export async function sampleImage(
  record: SampleRecord,
  folder: OpenedFolder | null,
): Promise<{ file: File; georef: GeoReference | null } | null> {
  const file = folder?.images.find(record.image) ?? null;
  if (!folder || !file) return null;
  const world = folder.worldFiles.find(record.image.replace(/\.[^./]+$/, ".png"));
  if (!world) return { file, georef: null };
  const size = record.image_size
    ? { width: record.image_size[0], height: record.image_size[1] }
    : await imageFileSize(file);
  const read = parseWorldFile(await world.text(), size.width, size.height);
  return { file, georef: read.valid ? read.georef : null };
}

/** Saves a georeferenced sample's reference and predicted boxes as GeoJSON. */
export function exportSampleGeoJson(record: SampleRecord, geometry: SampleGeometry, georef: GeoReference): void {
  downloadGeoJson(sampleGeoJson(record, geometry, georef), `geozero-sample-${record.index}.geojson`);
}

/** Shows a georeferenced sample on the map: the map view opens with its boxes drawn and the view fitted. */
export function showSampleOnMap(record: SampleRecord, geometry: SampleGeometry, georef: GeoReference): void {
  inspect().setPage("map");
  showOnMap(sampleGeoJson(record, geometry, georef), georef);
}

/** Empties the workspace (records, annotations, run); marks stay unless asked, as they are the reviewer's work. */
export async function clearWorkspace(marks: boolean): Promise<void> {
  stopRun();
  const reset: Partial<InspectState> = {
    annotations: null,
    problems: NO_PROBLEMS,
    run: { status: "idle" },
    selectedId: null,
    ...(marks ? { marks: new Map() } : {}),
  };
  inspect().set(reset);
  inspect().setRecords([], null);
  meta = { resultsName: null, annotations: null, run: null };
  await keep((db) => db.clear({ marks }));
}
