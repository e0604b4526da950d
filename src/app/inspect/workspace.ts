/**
 * The Inspect workspace: opening the files the user picks or drops (results streamed, annotations, an images folder),
 * restoring what was kept after a reload, the reviewer's marks, and clearing it.
 */
import { AnnotationError, parseAnnotations } from "../../eval/annotations";
import { LineSplitter, type ReviewMark } from "../../eval/record-format";
import { ImageIndex, isImageName } from "../../inspect/images";
import { ResultsReader } from "../../inspect/results-reader";
import { runProgress } from "../../inspect/run-settings";
import {
  type InspectState,
  NO_PROBLEMS,
  type OpenedFolder,
  orderedIds,
  readKeptView,
  useInspectStore,
  viewOf,
} from "../../inspect/store";
import { errorMessage } from "../../io/error-data";
import { droppedFiles } from "../../io/picked-files";
import { EMPTY_META } from "./inspect-db";
import { stopRun } from "./run";
import { adoptMeta, database, fileProblem, inspect, keep, recheck, updateMeta } from "./storage";

let restored: Promise<void> | null = null;

/** How long the view waits for the next change (typing in the text filter) before it is kept. */
const VIEW_KEEP_DELAY_MS = 300;

/** Keeps the list's filter, sort and threshold and the image's zoom as they change, so a reload shows them again. */
function keepViewChanges(): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  useInspectStore.subscribe((state, previous) => {
    if (state.filter === previous.filter && state.threshold === previous.threshold && state.zoom === previous.zoom)
      return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => void keep((db) => db.putView(viewOf(inspect()))), VIEW_KEEP_DELAY_MS);
  });
}

/** Keeps the selected sample when there is such a record, else selects the first the list shows. */
function selectShownSample(): void {
  const { selectedId, records } = inspect();
  if (selectedId && records.some((r) => r.id === selectedId)) return;
  inspect().select(orderedIds(inspect())[0] ?? null);
}

/** Restores the workspace kept in IndexedDB (once per page): records, marks, annotations and the run's state. */
export function restoreWorkspace(): Promise<void> {
  restored ??= (async () => {
    try {
      const db = await database();
      const [kept, records, marks, view] = await Promise.all([db.meta(), db.records(), db.marks(), db.view()]);
      adoptMeta(kept);
      inspect().setView(readKeptView(view));
      keepViewChanges();
      inspect().setMarks(marks);
      inspect().setRecords(records, kept.resultsName);
      selectShownSample();
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

/** Gives the page a chance to paint and take input between chunks of a long read. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Opens a `results.jsonl`: streamed in chunks (a 50 MB file never freezes the page), each line read by the shared
 * record reader; bad lines are reported by number and skipped, the rest shown and kept in the workspace.
 */
export async function openResultsFile(file: File): Promise<void> {
  inspect().set({
    reading: { name: file.name, bytes: 0, total: file.size },
    problems: { ...inspect().problems, file: null, lines: null, repeated: null },
  });
  const results = new ResultsReader();
  try {
    const reader = file.stream().getReader();
    const decoder = new TextDecoder();
    const splitter = new LineSplitter();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      results.take(splitter.push(decoder.decode(value, { stream: true })));
      inspect().set({ reading: { name: file.name, bytes, total: file.size } });
      await nextTask();
    }
    results.take(splitter.push(decoder.decode()));
    results.take(splitter.end());
  } catch (error) {
    inspect().set({ reading: null });
    fileProblem(file.name, `It could not be read (${errorMessage(error)}); the records shown before stay.`);
    return;
  }
  inspect().set({ reading: null });
  const { records, lines, otherTasks, repeated } = results.result();
  if (records.length === 0) {
    const tasks = [...otherTasks].map(([task, n]) => `${n} ${task}`).join(", ");
    fileProblem(
      file.name,
      tasks
        ? `It holds records of other tasks (${tasks}); the Inspect view reviews grounding results (npm run eval -- --task grounding).`
        : `No line of it is a grounding record${lines ? ` (${lines.count} unreadable lines)` : ""}; open the results.jsonl that npm run eval wrote. The records shown before stay.`,
    );
    if (lines) inspect().set({ problems: { ...inspect().problems, lines } });
    return;
  }
  inspect().setRecords(records, file.name);
  inspect().set({ problems: { ...inspect().problems, lines, repeated } });
  if (otherTasks.size > 0)
    fileProblem(file.name, `${[...otherTasks.values()].reduce((a, b) => a + b)} records of other tasks were left out.`);
  recheck();
  selectShownSample();
  inspect().set({ keeping: records.length });
  await keep((db) => db.replaceRecords(records));
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

/** Files dropped on the view: folders are walked; JSON and JSONL files are opened as annotations and results. */
export async function openDropped(transfer: DataTransfer): Promise<void> {
  const files = await droppedFiles(transfer);
  const loose = files.filter((f) => !f.path.includes("/"));
  for (const { file } of loose) {
    if (/\.jsonl$/i.test(file.name)) await openResultsFile(file);
    else if (/\.json$/i.test(file.name)) await openAnnotationFile(file);
  }
  const inFolders = files.filter((f) => f.path.includes("/"));
  if (inFolders.length > 0) openImageFolder(inFolders);
}

/** Keeps a reviewer's mark (null removes it). */
export async function setMark(id: string, mark: ReviewMark | null): Promise<void> {
  const marks = new Map(inspect().marks);
  if (mark) marks.set(id, mark);
  else marks.delete(id);
  inspect().setMarks(marks);
  await keep((db) => db.putMark(id, mark));
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
  adoptMeta(EMPTY_META);
  await keep((db) => db.clear({ marks }));
}
