/**
 * The Build side of the Model panel: builds GeoZero's quantised model in this browser from a Hugging Face repository
 * or a folder on this computer (the converter's core in a worker), resumes and deletes builds, and saves a built
 * folder to disk. The panel renders the build store and calls these.
 */
import type { OutputDtype } from "../convert/graph/weights.ts";
import { errorMessage } from "../io/error-data";
import type { PickedFile } from "../io/picked-files";
import { builtFolderFiles } from "../model/built-models";
import { askForPersistentStorage } from "../model/client";
import { formatBytes } from "../model/manifest";
import { BuildError } from "../model-build/build-errors";
import { buildWorker } from "../model-build/client";
import { listBuilds } from "../model-build/journal";
import type { BuildPreview, SnapshotChoice } from "../model-build/messages";
import { type BuildRun, useBuildStore } from "../state/build-store";
import { useModelStore } from "../state/model-store";
import { initialiseModels, updateChoice } from "./model";

const build = () => useBuildStore.getState();

/** The dtype a build writes: the one asked, else the one a load here would choose (q4f16 with shader-f16, else q4). */
export function buildDtype(): OutputDtype {
  const { dtype } = build();
  if (dtype !== "auto") return dtype;
  return useModelStore.getState().device?.webgpu?.shaderF16 ? "q4f16" : "q4";
}

/** The hub repository folder the form names. */
function hubChoice(): SnapshotChoice {
  const { hubUrl, repo, subfolder, revision, token } = build();
  return {
    kind: "hub",
    location: {
      hubUrl: hubUrl.replace(/\/+$/, ""),
      repo: repo.trim(),
      subfolder: subfolder.trim().replace(/^\/+|\/+$/g, ""),
      revision: revision.trim() || "main",
    },
    token: token.trim() || null,
  };
}

/** Reads config, index and shard headers of the form's repository folder and shows what a build would do. */
export function previewHubBuild(): Promise<void> {
  return preview(hubChoice());
}

/** The same, for a folder picked or dropped (its files with their paths inside it). */
export function previewFolderBuild(files: PickedFile[]): Promise<void> {
  build().set({ picked: files });
  return preview({ kind: "folder", files });
}

async function preview(snapshot: SnapshotChoice): Promise<void> {
  const controller = new AbortController();
  build().set({ run: { status: "inspecting", controller }, notice: null });
  try {
    const found = await buildWorker().call("inspect", { snapshot, dtype: buildDtype() }, { signal: controller.signal });
    build().set({ run: { status: "previewed", preview: found, snapshot } });
  } catch (error) {
    build().set({ run: controller.signal.aborted ? null : failed(error, null, snapshot) });
  }
}

function failed(error: unknown, preview: BuildPreview | null, snapshot: SnapshotChoice | null): BuildRun {
  const needsToken = error instanceof BuildError && error.problem.kind === "needs-access";
  return { status: "failed", message: errorMessage(error), needsToken, preview: preview ?? null, snapshot };
}

/**
 * Builds the previewed model: asks the browser to keep the site's storage, then streams the snapshot through the
 * converter into the browser's storage. Cancel keeps what is written for a resume.
 */
export async function startBuild(): Promise<void> {
  const run = build().run;
  if (run?.status !== "previewed" && run?.status !== "failed") return;
  if (!run.preview || !run.snapshot) return;
  await runBuild(run.preview, withToken(run.snapshot));
}

/** Tries again after a failure: the build when it had been checked, else the check (with the token typed since). */
export async function retryBuild(): Promise<void> {
  const run = build().run;
  if (run?.status !== "failed") return;
  if (run.preview && run.snapshot) await runBuild(run.preview, withToken(run.snapshot));
  else if (run.snapshot?.kind === "folder") await preview(run.snapshot);
  else await previewHubBuild();
}

/** A hub choice with the token the form holds now (typed after a refusal). */
function withToken(snapshot: SnapshotChoice): SnapshotChoice {
  if (snapshot.kind !== "hub") return snapshot;
  return { ...snapshot, token: build().token.trim() || null };
}

async function runBuild(preview: BuildPreview, snapshot: SnapshotChoice) {
  const controller = new AbortController();
  build().set({ run: { status: "building", preview, snapshot, progress: null, controller }, notice: null });
  void askForPersistentStorage();
  try {
    const result = await buildWorker().call(
      "build",
      { snapshot, dtype: preview.dtype },
      {
        signal: controller.signal,
        onEvent: (progress) => build().set({ run: { status: "building", preview, snapshot, progress, controller } }),
      },
    );
    // The notice says the model is chosen in the list: list and choose it first.
    await initialiseModels();
    useModelStore.getState().set({ modelId: result.key, forcedDtype: null });
    updateChoice();
    build().set({ run: { status: "done", preview, result } });
  } catch (error) {
    const cancelled = controller.signal.aborted;
    build().set({
      run: cancelled
        ? {
            status: "failed",
            message: "Cancelled: what was built so far is kept; Resume goes on from there.",
            needsToken: false,
            preview,
            snapshot,
          }
        : failed(error, preview, snapshot),
    });
  } finally {
    await refreshUnfinished();
  }
}

/** Cancels the build (or the check before it) in this tab; what was written stays for a resume. */
export function cancelBuild(): void {
  const run = build().run;
  if (run?.status === "building" || run?.status === "inspecting") run.controller.abort();
}

/** Lists the builds this browser did not finish (a reload, a closed tab, a failure), for Resume and Delete. */
export async function refreshUnfinished(): Promise<void> {
  try {
    const unfinished = (await listBuilds()).filter((record) => record.status !== "done");
    build().set({ unfinished });
  } catch {
    build().set({ unfinished: [] });
  }
}

/** Resumes an unfinished build from a hub: the same commit, the token in the form; a folder build asks for its folder. */
export async function resumeBuild(key: string): Promise<void> {
  const record = build().unfinished.find((r) => r.key === key);
  if (!record) return;
  if (record.source.kind === "folder") {
    build().set({
      notice: `Pick the folder ${record.source.name} again (Build from a folder) to resume ${record.name}.`,
    });
    return;
  }
  const { hubUrl, repo, subfolder, commit } = record.source;
  const snapshot: SnapshotChoice = {
    kind: "hub",
    location: { hubUrl, repo, subfolder, revision: commit },
    token: build().token.trim() || null,
  };
  const controller = new AbortController();
  build().set({ run: { status: "inspecting", controller }, notice: null });
  try {
    const preview = await buildWorker().call(
      "inspect",
      { snapshot, dtype: record.dtype },
      { signal: controller.signal },
    );
    await runBuild(preview, snapshot);
  } catch (error) {
    build().set({ run: controller.signal.aborted ? null : failed(error, null, snapshot) });
  }
}

/** Deletes a built model or an unfinished build from the browser's storage and says how much that freed. */
export async function deleteBuild(key: string, name: string): Promise<void> {
  const run = build().run;
  if (run?.status === "building" && run.preview.key === key) {
    build().set({ notice: `${name} is being built; cancel the build before deleting it.` });
    return;
  }
  try {
    const { freedBytes } = await buildWorker().call("remove", { key });
    build().set({ notice: `Deleted ${name}: ${formatBytes(freedBytes)} of the browser's storage freed.` });
    await refreshUnfinished();
    await initialiseModels();
  } catch (error) {
    build().set({ notice: `Could not delete ${name}: ${errorMessage(error)}` });
  }
}

/** The File System Access API's folder picker, where the browser has one (Chrome, Edge). */
type DirectoryPicker = (options?: { mode?: "readwrite"; id?: string }) => Promise<FileSystemDirectoryHandle>;

/**
 * Saves a built model's folder to a folder the user picks (File System Access API), file by file from the browser's
 * storage, so it can be put on a static host or uploaded to the hub and loaded by URL or id from there.
 */
export async function saveBuiltModel(key: string): Promise<void> {
  const picker = (globalThis as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  if (!picker) {
    build().set({
      notice:
        "This browser cannot write folders (it has no File System Access API): save from Chrome or Edge, or convert on a computer with npm run convert.",
    });
    return;
  }
  let target: FileSystemDirectoryHandle;
  try {
    target = await picker({ mode: "readwrite", id: "geozero-built-model" });
  } catch {
    return; // the picker was dismissed
  }
  try {
    const folder = await target.getDirectoryHandle(key, { create: true });
    let bytes = 0;
    for (const { path, file } of await builtFolderFiles(key)) {
      const parts = path.split("/");
      let dir = folder;
      for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
      const writable = await (await dir.getFileHandle(parts[parts.length - 1], { create: true })).createWritable();
      await file.stream().pipeTo(writable);
      bytes += file.size;
    }
    build().set({ notice: `Saved ${key} (${formatBytes(bytes)}) to the folder ${target.name}/${key}.` });
  } catch (error) {
    build().set({ notice: `Could not save ${key}: ${errorMessage(error)}` });
  }
}
