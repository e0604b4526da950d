import { useEffect, useState } from "react";
import { addRemoteModel, cancelLoad, initialiseModels, loadModel, updateChoice } from "../../app/model";
import { downloadBytes, formatBytes, type ModelEntry } from "../../model/manifest";
import { type LoadProgress, storageRefusalText } from "../../model/progress";
import { type ReadyModel, useModelStore } from "../../state/model-store";
import { useOfflineStore } from "../../state/offline-store";
import { NeedsNetwork } from "../OfflineStatus";
import { BuildPanel } from "./BuildPanel";
import { FailureView } from "./FailureView";
import { OfflineModelNote, offlineLoadBlock, offlineMark, useOfflineAvailability } from "./OfflineModelNote";

function progressLine(progress: LoadProgress | null): string {
  if (!progress) return "Waiting for the model worker…";
  switch (progress.status) {
    case "checking-folder":
      return "Reading the model folder's manifest and config";
    case "request":
      return `Requesting ${progress.file} from the server; waiting for its first bytes`;
    case "download": {
      if (progress.total === 0)
        return `Downloading ${progress.file}: ${formatBytes(progress.fileLoaded)} (size unknown)`;
      const left = Number.isFinite(progress.secondsLeft) ? `${progress.secondsLeft.toFixed(0)} s left` : "";
      return `Downloading ${progress.file}: ${formatBytes(progress.loaded)} / ${formatBytes(progress.total)} · ${formatBytes(progress.bytesPerSecond)}/s · ${left}`;
    }
    case "cached":
      return `From the browser cache: ${progress.file}`;
    case "not-cached":
      return storageRefusalText(progress);
    case "initialise":
      return `Creating sessions on ${progress.device} (${progress.dtype})`;
    case "warmup":
      return progress.device === "webgpu"
        ? "Warming up: one short run on WebGPU (compiling shaders)"
        : "Warming up: one short run on the CPU";
    case "ready":
      return "Ready";
  }
}

/** Adds a model by Hugging Face id or URL; off until the user turns it on, so nothing leaves the origin by default. */
function RemoteModel() {
  const { remoteEnabled, remoteError, set } = useModelStore();
  const [source, setSource] = useState("");
  return (
    <div className="remote-model">
      <label className="row">
        <input
          type="checkbox"
          data-testid="remote-enable"
          checked={remoteEnabled}
          onChange={(e) => set({ remoteEnabled: e.target.checked, remoteError: null })}
        />
        Models from the internet (Hugging Face id or URL)
      </label>
      {remoteEnabled && (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void addRemoteModel(source);
          }}
        >
          <input
            data-testid="remote-source"
            aria-label="Hugging Face model id or URL"
            placeholder="owner/name or https://host/models/geozero/"
            value={source}
            onChange={(e) => setSource(e.target.value)}
          />
          <button type="submit" data-testid="remote-add" disabled={!source.trim()}>
            Add
          </button>
        </form>
      )}
      {remoteError && (
        <p className="error" data-testid="remote-error">
          {remoteError}
        </p>
      )}
    </div>
  );
}

/** One model in the list; offline, marked by whether it loads without the network. */
function ModelOption({ entry }: { entry: ModelEntry }) {
  const online = useOfflineStore((s) => s.online);
  const availability = useOfflineAvailability(entry);
  return (
    <option value={entry.id}>
      {entry.id}
      {offlineMark(availability, online)}
    </option>
  );
}

/** The model a failed load left loaded: it still answers. */
function KeptModel({ kept }: { kept: ReadyModel }) {
  return (
    <p className="hint" data-testid="model-kept">
      {kept.modelId} is still loaded on {kept.device} ({kept.dtype}) and answers questions.
    </p>
  );
}

/** Picks a model from model-cache/, shows where it will run and why, and loads it with progress. */
export function ModelPanel() {
  const state = useModelStore();
  useEffect(() => {
    void initialiseModels();
  }, []);
  const entry = state.models.find((m) => m.id === state.modelId);
  const { load, choice } = state;
  // A load waits until the runs holding the model (an answer, an Inspect run) end; disabled, the button says so.
  const holders = state.modelHolders.join(" and ");
  const online = useOfflineStore((s) => s.online);
  const availability = useOfflineAvailability(entry);
  const needsNetwork = !online && entry !== undefined && offlineLoadBlock(entry, availability, "") !== null;

  return (
    <section className="panel" aria-labelledby="model-heading">
      <h2 id="model-heading">Model</h2>
      {state.modelsError && (
        <p className="error" data-testid="models-error">
          {state.modelsError}
        </p>
      )}
      <select
        data-testid="model-select"
        aria-label="Model"
        value={state.modelId ?? ""}
        onChange={(e) => {
          state.set({ modelId: e.target.value });
          updateChoice();
        }}
      >
        {state.models.map((m) => (
          <ModelOption key={m.id} entry={m} />
        ))}
      </select>
      <OfflineModelNote entry={entry} />
      {entry?.manifest?.demo && <p className="hint">Random-weight demo model for testing the app — not GeoZero.</p>}
      <label className="row">
        Device
        <select
          data-testid="device-select"
          value={state.forcedDevice ?? "auto"}
          onChange={(e) => {
            state.set({ forcedDevice: e.target.value === "auto" ? null : (e.target.value as "webgpu" | "wasm") });
            updateChoice();
          }}
        >
          <option value="auto">Automatic</option>
          <option value="webgpu">WebGPU</option>
          <option value="wasm">WASM (CPU)</option>
        </select>
      </label>
      {state.choiceProblem && (
        <p className="error" role="alert" data-testid="device-problem">
          {state.choiceProblem.message}
        </p>
      )}
      {choice && entry && (
        <p className="hint" data-testid="device-choice">
          {choice.device === "webgpu" ? "WebGPU" : "WASM"} · {choice.dtype} ·{" "}
          {entry.manifest
            ? `${formatBytes(downloadBytes(entry.manifest, choice.sessions))} to load.`
            : "Download size unknown: the folder has no manifest.json, so files are not checked against hashes either."}{" "}
          {choice.reason}
        </p>
      )}
      <div className="row">
        <button
          type="button"
          className="primary"
          data-testid="load-model"
          disabled={!choice || load.status === "loading" || holders !== "" || needsNetwork}
          onClick={() => void loadModel()}
        >
          {load.status === "ready" ? "Reload model" : "Load model"}
        </button>
        {holders && load.status !== "loading" && (
          <span className="hint" data-testid="load-waits">
            Stop or finish {holders} to load a model.
          </span>
        )}
        {load.status === "loading" && (
          <button type="button" data-testid="cancel-load" onClick={cancelLoad}>
            Cancel
          </button>
        )}
      </div>
      {load.status === "loading" && (
        <div data-testid="load-progress">
          <progress
            max={load.progress && "total" in load.progress ? load.progress.total : 1}
            value={load.progress && "loaded" in load.progress ? load.progress.loaded : undefined}
          />
          <span className="hint">
            {!load.progress && holders ? `Waits for ${holders} to end` : progressLine(load.progress)}
          </span>
        </div>
      )}
      {load.status === "ready" && (
        <p className="hint" data-testid="model-ready">
          {load.modelId} ready on {load.device} ({load.dtype}) in {load.seconds.toFixed(1)} s
          {load.fromCache ? " · from the browser cache" : ""}
        </p>
      )}
      {load.status === "ready" && load.notCached && (
        <p className="hint" role="status" data-testid="model-not-cached">
          {storageRefusalText(load.notCached)}
        </p>
      )}
      {load.status === "failed" &&
        (load.failure ? (
          <FailureView failure={load.failure} testId="load-error" />
        ) : (
          <p className="error" role="alert" data-testid="load-error">
            {load.message}
          </p>
        ))}
      {load.status === "failed" && load.kept && <KeptModel kept={load.kept} />}
      <NeedsNetwork
        what="Loading models from the internet and building from Hugging Face"
        instead="the models kept in this browser load as usual"
        testId="remote-needs-network"
      />
      <RemoteModel />
      <BuildPanel />
    </section>
  );
}
