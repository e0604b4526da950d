/// <reference lib="webworker" />
import { type PlannedConversion, planSnapshot, writeModelFolder } from "../convert/convert.ts";
import { DEFAULT_LIMITS, type OutputDtype, type PartialTensor } from "../convert/graph/weights.ts";
import type { SnapshotReader } from "../convert/safetensors/read.ts";
import { supportFiles } from "../convert/support-files.ts";
import { serveWorker } from "../io/worker-rpc";
import { TransferMeter } from "../model/progress";
import { BuildError } from "./build-errors";
import { FolderSnapshot } from "./folder-snapshot";
import { type HubReadEvents, openHubSnapshot } from "./hub-snapshot";
import { buildKey, isHub, modelName, originOf } from "./identity";
import { type BuildRecord, forgetBuild, readBuild, saveBuild } from "./journal";
import { startKernelPool } from "./kernel-pool";
import type { BuildMessages, BuildPreview, BuildProgress, BuildResult, SnapshotChoice } from "./messages";
import { buildDirectory, OpfsFolder, removeBuildDirectory } from "./opfs-folder";
import { loadPartial, PartialWriter } from "./partial";

/**
 * The slices a build reads and quantises at a time: about a thousandth of the checkpoint (16 MiB of float32 rows for
 * GeoZero, twice the command line's: fewer requests to the hub), at least 256 KiB. A resume goes on from the last
 * slice written. The output is the same whatever the slices; the transpose limit is the converter's and must stay so.
 */
function browserLimits(checkpointBytes: number) {
  const sliceBytes = Math.min(
    16 * 1024 * 1024,
    Math.max(256 * 1024, 2 ** Math.round(Math.log2(checkpointBytes / 500))),
  );
  return { sliceBytes, transposeInMemoryBytes: DEFAULT_LIMITS.transposeInMemoryBytes };
}

/** Plans a build at `dtype`, with slices sized to the checkpoint. */
async function planBuild(snapshot: SnapshotReader, dtype: OutputDtype, signal: AbortSignal) {
  const planned = await planSnapshot(snapshot, { dtypes: [dtype] }, signal);
  return { ...planned, options: { ...planned.options, limits: browserLimits(planned.checkpoint.totalBytes) } };
}

/** At most this often a build saves where it stands (a reload loses at most this much work and what was in flight). */
const CHECKPOINT_MS = 250;
/** The piece read to measure the rate before a build. */
const PROBE_BYTES = 8 * 1024 * 1024;

/** Opens the snapshot a request names; a hub snapshot pins its files' ETags from an earlier run. */
async function openSnapshot(
  choice: SnapshotChoice,
  record: BuildRecord | undefined,
  events: HubReadEvents = {},
  signal?: AbortSignal,
): Promise<SnapshotReader> {
  if (choice.kind === "folder") return new FolderSnapshot(choice.files);
  return openHubSnapshot(choice.location, choice.token, { ...events, pinned: record?.etags }, signal);
}

async function storageEstimate(): Promise<BuildPreview["storage"]> {
  const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
  if (estimate?.quota === undefined) return null;
  return { quotaBytes: estimate.quota, usageBytes: estimate.usage ?? 0 };
}

async function availableBytes(): Promise<number | null> {
  const storage = await storageEstimate();
  return storage && Math.max(0, storage.quotaBytes - storage.usageBytes);
}

/** Bytes a record says are written already. */
function writtenBytes(record: BuildRecord | undefined): number {
  return Object.values(record?.files ?? {}).reduce((sum, file) => sum + file.bytes, 0);
}

/** Reads one piece of the largest shard and times it: the rate the estimate is made from. */
async function measureRate(planned: PlannedConversion, signal: AbortSignal): Promise<number> {
  const { checkpoint } = planned;
  const largest = [...checkpoint.tensors.values()].sort((a, b) => b.byteLength - a.byteLength)[0];
  if (!largest) return 0;
  const { source, offset } = checkpoint.locateRows(largest.name, 0, 1);
  const length = Math.min(PROBE_BYTES, largest.byteLength);
  const started = performance.now();
  await source.getBytes(offset, length, signal);
  return length / Math.max((performance.now() - started) / 1000, 1e-3);
}

async function inspect(
  { snapshot: choice, dtype }: BuildMessages["inspect"]["request"],
  signal: AbortSignal,
): Promise<BuildPreview> {
  const snapshot = await openSnapshot(choice, undefined, {}, signal);
  const planned = await planBuild(snapshot, dtype, signal);
  // The tokenizer and processor files are read (and their chat template checked) before any weight.
  const support = await supportFiles(snapshot, planned.family.preprocessorDefaults, signal);
  const supportBytes = support.reduce((sum, file) => sum + new TextEncoder().encode(file.text).byteLength, 0);
  const key = buildKey(snapshot, dtype);
  const earlier = await readBuild(key);
  const sourceBytes = planned.checkpoint.totalBytes;
  const done = earlier?.status === "done";
  const readFraction =
    earlier && earlier.progress.totalBytes > 0 ? earlier.progress.readBytes / earlier.progress.totalBytes : 0;
  return {
    key,
    name: modelName(snapshot, dtype),
    label: snapshot.label,
    commit: isHub(snapshot) ? snapshot.commit : null,
    modelType: planned.family.modelType,
    dtype,
    sourceBytes,
    toReadBytes: done ? 0 : Math.round(sourceBytes * (1 - readFraction)),
    keptBytes: planned.plannedBytes + supportBytes,
    toWriteBytes: done ? 0 : Math.max(0, planned.plannedBytes + supportBytes - writtenBytes(earlier)),
    storage: await storageEstimate(),
    measuredBytesPerSecond: await measureRate(planned, signal),
    earlier: earlier ? { status: earlier.status, progress: earlier.progress, stopReason: earlier.stopReason } : null,
  };
}

/** A new record for a build about to start. */
function newRecord(key: string, snapshot: SnapshotReader, dtype: OutputDtype, planned: PlannedConversion): BuildRecord {
  const source: BuildRecord["source"] = isHub(snapshot)
    ? { kind: "hub", ...snapshot.location, commit: snapshot.commit }
    : { kind: "folder", name: snapshot.label, files: (snapshot as FolderSnapshot).listing };
  const now = Date.now();
  return {
    key,
    name: modelName(snapshot, dtype),
    source,
    dtype,
    status: "building",
    plannedBytes: planned.plannedBytes,
    sourceBytes: planned.checkpoint.totalBytes,
    files: {},
    partial: null,
    etags: {},
    progress: { readBytes: 0, totalBytes: 0, tensorsDone: 0, tensors: 0, downloadedBytes: 0 },
    createdAt: now,
    updatedAt: now,
  };
}

/** Runs `work` holding this build's lock; another tab holding it fails at once, naming the model. */
async function holdingBuildLock<T>(key: string, name: string, work: () => Promise<T>): Promise<T> {
  if (!navigator.locks) return work();
  return navigator.locks.request(`geozero-build:${key}`, { ifAvailable: true }, async (lock) => {
    if (!lock) throw new BuildError({ kind: "building-elsewhere", model: name });
    return work();
  });
}

async function build(
  { snapshot: choice, dtype }: BuildMessages["build"]["request"],
  emit: (progress: BuildProgress) => void,
  signal: AbortSignal,
) {
  emit({ status: "planning" });
  // The key needs the commit: open once to resolve it, then again at that commit with the ETags an earlier run pinned.
  const probe = await openSnapshot(choice, undefined, {}, signal);
  const key = buildKey(probe, dtype);
  const name = modelName(probe, dtype);
  return holdingBuildLock(key, name, async () => {
    try {
      return await buildOnce(key, pinned(choice, probe), dtype, context(), signal);
    } catch (error) {
      if (!(error instanceof BuildError) || error.problem.kind !== "source-changed") throw error;
      // What was built from the old version cannot be mixed with the new one: start over, once.
      emit({ status: "waiting", reason: error.message });
      await removeBuildDirectory(key);
      await forgetBuild(key);
      return buildOnce(key, pinned(choice, probe), dtype, context(), signal);
    }
  });

  function context(): RunContext {
    let downloadedBytes = 0;
    const pins: Record<string, string> = {};
    return {
      emit,
      pins,
      downloaded: () => downloadedBytes,
      events: {
        onBytes: (bytes: number) => {
          downloadedBytes += bytes;
        },
        onWaiting: (reason: string | null) => emit(reason ? { status: "waiting", reason } : { status: "planning" }),
        onPinned: (file: string, etag: string) => {
          pins[file] = etag;
        },
      },
    };
  }
}

/** One run of a build: plans it, checks the storage it still needs, and writes what is not written yet. */
async function buildOnce(
  key: string,
  choice: SnapshotChoice,
  dtype: OutputDtype,
  context: RunContext,
  signal: AbortSignal,
): Promise<BuildResult> {
  const earlier = await readBuild(key);
  const snapshot = await openSnapshot(choice, earlier, context.events, signal);
  const planned = await planBuild(snapshot, dtype, signal);
  const record = earlier ?? newRecord(key, snapshot, dtype, planned);
  if (record.status === "done") {
    return {
      key,
      files: Object.keys(record.files).length,
      keptBytes: writtenBytes(record),
      downloadedBytes: 0,
      seconds: 0,
    };
  }
  const needed = planned.plannedBytes - writtenBytes(record);
  const available = await availableBytes();
  if (available !== null && needed > available) {
    throw new BuildError({ kind: "storage-full", neededBytes: needed, availableBytes: available });
  }
  return runBuild(planned, record, snapshot, context, signal);
}

/** The same choice with the revision pinned to the commit the first open resolved. */
function pinned(choice: SnapshotChoice, probe: SnapshotReader): SnapshotChoice {
  if (choice.kind !== "hub" || !isHub(probe)) return choice;
  return { ...choice, location: { ...choice.location, revision: probe.commit } };
}

/** What one run of a build reports and counts. */
interface RunContext {
  emit: (progress: BuildProgress) => void;
  events: HubReadEvents;
  pins: Record<string, string>;
  downloaded: () => number;
}

async function runBuild(
  planned: PlannedConversion,
  record: BuildRecord,
  snapshot: SnapshotReader,
  context: RunContext,
  signal: AbortSignal,
) {
  const started = performance.now();
  const dir = await buildDirectory(record.key);
  const folder = new OpfsFolder(dir, record.files, availableBytes);
  const resumeFrom = await loadPartial(dir, record.partial, planned);
  const partialWriter = new PartialWriter(dir, record.partial);
  await partialWriter.ready();
  const quantizer = await startKernelPool();
  const readAtStart = record.progress.readBytes;
  const meter = new TransferMeter(0);
  let latest: PartialTensor | null = resumeFrom;
  let lastSave = 0;
  let saving: Promise<void> = Promise.resolve();
  const save = (status: BuildRecord["status"], stopReason?: string) => {
    const files = folder.checkpoint();
    const partial = partialWriter.write(latest);
    const snapshotOfRecord: BuildRecord = {
      ...record,
      status,
      files,
      partial,
      etags: { ...record.etags, ...context.pins },
      progress: { ...record.progress, downloadedBytes: record.progress.downloadedBytes + context.downloaded() },
      ...(stopReason ? { stopReason } : {}),
    };
    saving = saving.then(() => saveBuild(snapshotOfRecord));
    return saving;
  };
  await saveBuild({ ...record, status: "building", stopReason: undefined });
  try {
    const files = await writeModelFolder(
      planned,
      {
        sink: folder,
        quantizer,
        origin: originOf(snapshot),
        resumeFrom,
        onCheckpoint: (partial) => {
          latest = partial;
          const now = performance.now();
          if (now - lastSave < CHECKPOINT_MS) return;
          lastSave = now;
          void save("building");
        },
        onProgress: (event) => {
          if (event.status !== "progress") return;
          record.progress = {
            ...record.progress,
            readBytes: event.readBytes,
            totalBytes: event.totalBytes,
            tensorsDone: event.tensorsDone,
            tensors: event.tensors,
          };
          const rate = meter.measure(event.readBytes - readAtStart);
          const left =
            rate.bytesPerSecond > 0
              ? (event.totalBytes - event.readBytes) / rate.bytesPerSecond
              : Number.POSITIVE_INFINITY;
          context.emit({
            status: "building",
            file: event.file,
            downloadedBytes: context.downloaded(),
            readBytes: event.readBytes,
            totalBytes: event.totalBytes,
            tensorsDone: event.tensorsDone,
            tensors: event.tensors,
            bytesPerSecond: rate.bytesPerSecond,
            secondsLeft: left,
          });
        },
      },
      signal,
    );
    context.emit({ status: "finishing" });
    latest = null;
    await save("done");
    await saving;
    await partialWriter.clear();
    return {
      key: record.key,
      files: files.length + 1,
      keptBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      downloadedBytes: context.downloaded(),
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    const reported = await folder.storageFull(
      error,
      Math.max(0, planned.plannedBytes - writtenBytes({ ...record, files: folder.checkpoint() })),
    );
    const saved = save(
      "stopped",
      signal.aborted ? "Cancelled" : reported instanceof Error ? reported.message : String(reported),
    );
    folder.release();
    partialWriter.release();
    await saved;
    throw reported;
  } finally {
    await quantizer.close();
  }
}

/** How long a delete waits for a build of the same model to let go of its files (a cancel closes them soon after). */
const REMOVE_WAIT_MS = 15_000;

async function remove({ key }: BuildMessages["remove"]["request"]) {
  return afterBuildLetGo(key, async () => {
    const freedBytes = await removeBuildDirectory(key);
    await forgetBuild(key);
    return { freedBytes };
  });
}

/**
 * Runs `work` once no build of `key` holds its files: a build just cancelled still closes its open files, which the
 * browser will not delete until then; one still running in another tab is named.
 */
async function afterBuildLetGo<T>(key: string, work: () => Promise<T>): Promise<T> {
  if (!navigator.locks) return work();
  try {
    return await navigator.locks.request(`geozero-build:${key}`, { signal: AbortSignal.timeout(REMOVE_WAIT_MS) }, work);
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError")
      throw new BuildError({ kind: "building-elsewhere", model: key });
    throw error;
  }
}

serveWorker<BuildMessages>(self as unknown as DedicatedWorkerGlobalScope, {
  inspect: (request, { signal }) => inspect(request, signal),
  build: (request, { emit, signal }) => build(request, emit, signal),
  remove: (request) => remove(request),
});
