import { useEffect } from "react";
import {
  cancelBuild,
  deleteBuild,
  previewFolderBuild,
  previewHubBuild,
  refreshUnfinished,
  resumeBuild,
  retryBuild,
  saveBuiltModel,
  startBuild,
} from "../../app/model-build";
import { droppedFiles, filesFromInput } from "../../io/picked-files";
import { type BuiltModelFit, builtModelFit, builtModelFitMessage } from "../../model/device";
import { formatBytes } from "../../model/manifest";
import type { BuildPreview, BuildProgress } from "../../model-build/messages";
import { type BuildRun, useBuildStore } from "../../state/build-store";
import { useModelStore } from "../../state/model-store";
import { useDropTarget } from "../use-drop-target";

/** `webkitdirectory` makes the input pick a folder; React's types lack it, every current browser supports it. */
const FOLDER_PICKER: Record<string, string> = { webkitdirectory: "" };

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "unknown";
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function progressText(progress: BuildProgress | null): string {
  if (!progress || progress.status === "planning") return "Reading the repository and planning the files";
  if (progress.status === "waiting") return progress.reason;
  if (progress.status === "finishing") return "Writing the manifest";
  const { downloadedBytes, readBytes, totalBytes, tensorsDone, tensors, bytesPerSecond, secondsLeft } = progress;
  return (
    `${formatBytes(readBytes)} of ${formatBytes(totalBytes)} converted · ${formatBytes(downloadedBytes)} downloaded now · ` +
    `tensors ${tensorsDone} / ${tensors} · ${formatBytes(bytesPerSecond)}/s · ${duration(secondsLeft)} left`
  );
}

/** Where the model a build would write runs here; null until the device has been probed. */
function useBuiltModelFit(preview: BuildPreview): BuiltModelFit | null {
  const device = useModelStore((state) => state.device);
  return device ? builtModelFit(device, preview.dtype, preview.keptBytes) : null;
}

/** What a build will do, before anything large is fetched. */
function Preview({ preview, fit }: { preview: BuildPreview; fit: BuiltModelFit | null }) {
  const free = preview.storage ? preview.storage.quotaBytes - preview.storage.usageBytes : null;
  const enough = free === null || free >= preview.toWriteBytes;
  const seconds =
    preview.measuredBytesPerSecond > 0 ? preview.toReadBytes / preview.measuredBytesPerSecond : Number.NaN;
  return (
    <div className="build-preview" data-testid="build-preview">
      <p>
        <strong>{preview.label}</strong> · {preview.modelType} · {preview.dtype}
      </p>
      <ul>
        <li data-testid="build-download">
          Reads {formatBytes(preview.toReadBytes)}
          {preview.toReadBytes < preview.sourceBytes
            ? ` (of ${formatBytes(preview.sourceBytes)}; the rest was built before)`
            : ""}{" "}
          of bf16 weights, each byte once.
        </li>
        <li data-testid="build-kept">Keeps {formatBytes(preview.keptBytes)} in this browser's storage.</li>
        <li data-testid="build-storage" className={enough ? undefined : "error"}>
          {free === null
            ? "The browser does not say how much storage it gives this site."
            : `${formatBytes(free)} of storage free for this site${enough ? "." : `: ${formatBytes(preview.toWriteBytes - free)} short. Free space first.`}`}
        </li>
        <li data-testid="build-estimate">
          About {duration(seconds)} at the {formatBytes(preview.measuredBytesPerSecond)}/s measured just now (converting
          can be slower than that on a slow CPU).
        </li>
        {fit && (
          <li data-testid="build-device" className={fit.kind === "runs" ? undefined : "error"}>
            {builtModelFitMessage(fit, preview.dtype)}
          </li>
        )}
      </ul>
      {preview.earlier && preview.earlier.status !== "done" && (
        <p className="hint">
          An earlier build of this model stopped at{" "}
          {percent(preview.earlier.progress.readBytes, preview.earlier.progress.totalBytes)}; Build resumes it.
        </p>
      )}
    </div>
  );
}

/** The preview and its Build button, which says "anyway" where the built model cannot run well here. */
function Previewed({ preview }: { preview: BuildPreview }) {
  const fit = useBuiltModelFit(preview);
  return (
    <>
      <Preview preview={preview} fit={fit} />
      <button type="button" className="primary" data-testid="build-start" onClick={() => void startBuild()}>
        {fit && fit.kind !== "runs" ? "Build anyway" : "Build"}
      </button>
    </>
  );
}

function percent(done: number, total: number): string {
  return total > 0 ? `${((100 * done) / total).toFixed(0)} %` : "0 %";
}

function HubForm() {
  const state = useBuildStore();
  const busy = state.run?.status === "inspecting" || state.run?.status === "building";
  return (
    <form
      className="build-form"
      onSubmit={(e) => {
        e.preventDefault();
        void previewHubBuild();
      }}
    >
      <label>
        Repository
        <input data-testid="build-repo" value={state.repo} onChange={(e) => state.set({ repo: e.target.value })} />
      </label>
      <label>
        Subfolder
        <input
          data-testid="build-subfolder"
          value={state.subfolder}
          onChange={(e) => state.set({ subfolder: e.target.value })}
        />
      </label>
      <label>
        Revision
        <input
          data-testid="build-revision"
          value={state.revision}
          onChange={(e) => state.set({ revision: e.target.value })}
        />
      </label>
      <label>
        Dtype
        <select
          data-testid="build-dtype"
          value={state.dtype}
          onChange={(e) => state.set({ dtype: e.target.value as typeof state.dtype })}
        >
          <option value="auto">Automatic (as a load here chooses)</option>
          <option value="q4f16">q4f16 (GPUs with shader-f16)</option>
          <option value="q4">q4</option>
        </select>
      </label>
      <details>
        <summary>Hub and access token</summary>
        <label>
          Hub URL
          <input
            data-testid="build-hub-url"
            value={state.hubUrl}
            onChange={(e) => state.set({ hubUrl: e.target.value })}
          />
        </label>
        <TokenField />
      </details>
      <button type="submit" data-testid="build-check" disabled={busy || !state.repo.trim()}>
        Check
      </button>
    </form>
  );
}

function TokenField() {
  const { token, set } = useBuildStore();
  return (
    <label>
      Access token (gated or private repositories; kept in this tab's memory only)
      <input
        type="password"
        autoComplete="off"
        data-testid="build-token"
        value={token}
        onChange={(e) => set({ token: e.target.value })}
      />
    </label>
  );
}

function FolderPicker() {
  const { over, handlers: drop } = useDropTarget((transfer) => void droppedFiles(transfer).then(previewFolderBuild));
  return (
    <div className={over ? "build-folder drop-target" : "build-folder"} {...drop} data-testid="build-folder-drop">
      <label className="file-button">
        Build from a folder on this computer
        <input
          type="file"
          data-testid="build-folder"
          {...FOLDER_PICKER}
          onChange={(e) => e.target.files?.length && void previewFolderBuild(filesFromInput(e.target.files))}
        />
      </label>
      <span className="hint">or drop the downloaded snapshot folder here</span>
    </div>
  );
}

function RunView({ run }: { run: BuildRun }) {
  const { token } = useBuildStore();
  switch (run.status) {
    case "inspecting":
      return (
        <p className="hint" data-testid="build-inspecting">
          Reading config.json, the shard index and each shard's header…{" "}
          <button type="button" onClick={cancelBuild}>
            Cancel
          </button>
        </p>
      );
    case "previewed":
      return <Previewed preview={run.preview} />;
    case "building":
      return (
        <div data-testid="build-progress">
          <progress
            max={run.progress?.status === "building" ? run.progress.totalBytes : 1}
            value={run.progress?.status === "building" ? run.progress.readBytes : undefined}
          />
          <p className="hint" data-testid="build-progress-text">
            {progressText(run.progress)}
          </p>
          <button type="button" data-testid="build-cancel" onClick={cancelBuild}>
            Cancel
          </button>
        </div>
      );
    case "done":
      return (
        <p className="hint" role="status" data-testid="build-done">
          Built {run.preview.name} in {duration(run.result.seconds)}: {formatBytes(run.result.keptBytes)} kept in this
          browser. It is chosen in the model list above; Load model loads it.
        </p>
      );
    case "failed":
      return (
        <div className="error" role="alert" data-testid="build-error">
          <p>{run.message}</p>
          {run.needsToken && <TokenField />}
          {run.snapshot && (run.preview || run.needsToken) && (
            <button
              type="button"
              data-testid="build-retry"
              disabled={run.needsToken && !token.trim()}
              onClick={() => void retryBuild()}
            >
              {run.needsToken ? "Try with the token" : "Resume"}
            </button>
          )}
        </div>
      );
  }
}

function Unfinished() {
  const { unfinished, run } = useBuildStore();
  const building = run?.status === "building" ? run.preview.key : null;
  const others = unfinished.filter((record) => record.key !== building);
  if (others.length === 0) return null;
  return (
    <ul className="build-unfinished" data-testid="build-unfinished">
      {others.map((record) => (
        <li key={record.key} data-testid="build-unfinished-item">
          {record.name}: stopped at {percent(record.progress.readBytes, record.progress.totalBytes)}
          {record.stopReason ? ` (${record.stopReason})` : ""}{" "}
          <button
            type="button"
            data-testid="build-resume"
            disabled={building !== null}
            onClick={() => void resumeBuild(record.key)}
          >
            Resume
          </button>{" "}
          <button
            type="button"
            data-testid="build-delete-unfinished"
            onClick={() => void deleteBuild(record.key, record.name)}
          >
            Delete
          </button>
        </li>
      ))}
    </ul>
  );
}

/** The chosen model, when it was built here: where from, its size, and Save folder / Delete. */
function BuiltModel() {
  const entry = useModelStore((s) => s.models.find((m) => m.id === s.modelId));
  if (!entry?.built || !entry.manifest) return null;
  const hub = entry.manifest.source.hub;
  return (
    <p className="hint" data-testid="built-model">
      Built in this browser from{" "}
      {hub
        ? `${hub.id}${hub.subfolder ? `/${hub.subfolder}` : ""} at ${hub.revision.slice(0, 7)}`
        : entry.manifest.source.folder}{" "}
      · {formatBytes(entry.built.bytes)}{" "}
      <button type="button" data-testid="built-save" onClick={() => void saveBuiltModel(entry.id)}>
        Save folder…
      </button>{" "}
      <button type="button" data-testid="built-delete" onClick={() => void deleteBuild(entry.id, entry.id)}>
        Delete
      </button>
    </p>
  );
}

/**
 * Builds GeoZero's quantised model in this browser from the hub (or a downloaded folder): nothing but a browser needed.
 */
export function BuildPanel() {
  const { run, notice } = useBuildStore();
  const noModel = useModelStore((s) => s.models.length === 0 || s.models.every((m) => m.manifest?.demo));
  useEffect(() => {
    void refreshUnfinished();
  }, []);
  return (
    <>
      <BuiltModel />
      <details className="build-model" open={noModel || run !== null} data-testid="build-panel">
        <summary>Build GeoZero in this browser</summary>
        <p className="hint">
          GeoZero is published as bf16 safetensors (about 17.5 GB). The app converts it here, as it downloads, into a
          quantised model of about 5–6 GB kept in this browser; nothing is uploaded.
        </p>
        <HubForm />
        <FolderPicker />
        {run && <RunView run={run} />}
        <Unfinished />
        {notice && (
          <p className="hint" role="status" data-testid="build-notice">
            {notice}
          </p>
        )}
      </details>
    </>
  );
}
