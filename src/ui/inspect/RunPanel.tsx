import { useState } from "react";
import { useShallow } from "zustand/react/shallow";
import { resumeRun, startRun, stopRun } from "../../app/inspect/run";
import type { BoxFactor } from "../../eval/metrics/grounding";
import { GEOZERO_BOX_READING } from "../../eval/metrics/grounding";
import { type RunForm, runProgress } from "../../inspect/run-settings";
import { useInspectStore } from "../../inspect/store";
import { loadedModelOf, useModelStore } from "../../state/model-store";
import type { BoxConvention } from "../../tasks/boxes";
import { MAX_NEW_TOKENS } from "../../tasks/prompts";

const INITIAL_FORM: RunForm = {
  subset: "first",
  count: "10",
  subsetSeed: "0",
  seed: "42",
  maxNewTokens: String(MAX_NEW_TOKENS),
  useSystemPrompt: false,
  boxReading: GEOZERO_BOX_READING,
};

/** The loaded model, as the run will record it. */
function ModelStatus() {
  const loaded = useModelStore((s) => loadedModelOf(s.load));
  return (
    <p className="hint" data-testid="run-model">
      {loaded
        ? `Model: ${loaded.modelId} (${loaded.dtype}) on ${loaded.device}.`
        : "No model loaded: load one in the Map view's Model panel."}
    </p>
  );
}

/** Where the run stands, with Stop or Resume. */
function RunStatus() {
  const { run, records } = useInspectStore(useShallow(({ run, records }) => ({ run, records })));
  if (run.status === "idle") return null;
  const { done, total } = runProgress(run.settings, records);
  return (
    <div data-testid="run-status" data-status={run.status}>
      <p className="hint" data-testid="run-progress">
        {run.status === "running"
          ? "Running"
          : run.status === "finished"
            ? "Finished"
            : run.status === "failed"
              ? "Stopped by a problem"
              : run.status === "paused" && run.reason === "reloaded"
                ? "Interrupted by a reload"
                : "Stopped"}
        : {done} of {total} samples recorded ({run.settings.model}, seed {run.settings.seed}).
      </p>
      {run.status === "failed" && (
        <p className="error" data-testid="run-error">
          {run.message}
        </p>
      )}
      <progress value={done} max={total} />
      <div className="row">
        {run.status === "running" && (
          <button type="button" data-testid="run-stop" onClick={stopRun}>
            Stop
          </button>
        )}
        {(run.status === "paused" || run.status === "failed") && done < total && (
          <button type="button" className="primary" data-testid="run-resume" onClick={() => void resumeRun()}>
            Resume ({total - done} left)
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * Runs GeoZero's grounding evaluation here on the loaded model, with `npm run eval`'s prompt, decoding, seeds and
 * scoring; each record is kept as it finishes, so a reload resumes and the export is a `results.jsonl` the Node command
 * resumes from.
 */
export function RunPanel() {
  const [form, setForm] = useState<RunForm>(INITIAL_FORM);
  const running = useInspectStore((s) => s.run.status === "running");
  const update = (partial: Partial<RunForm>) => setForm((f) => ({ ...f, ...partial }));
  return (
    <section className="panel run-panel" aria-labelledby="run-heading">
      <h2 id="run-heading">Run the evaluation here</h2>
      <ModelStatus />
      <div className="row">
        <select
          aria-label="Samples"
          data-testid="run-subset"
          value={form.subset}
          onChange={(e) => update({ subset: e.target.value as RunForm["subset"] })}
        >
          <option value="first">first N</option>
          <option value="random">random N</option>
          <option value="ids">the samples listed</option>
        </select>
        {form.subset !== "ids" && (
          <label>
            N{" "}
            <input
              type="number"
              min={1}
              data-testid="run-count"
              value={form.count}
              onChange={(e) => update({ count: e.target.value })}
            />
          </label>
        )}
        {form.subset === "random" && (
          <label>
            subset seed{" "}
            <input
              type="number"
              min={0}
              value={form.subsetSeed}
              onChange={(e) => update({ subsetSeed: e.target.value })}
            />
          </label>
        )}
      </div>
      <div className="row">
        <label>
          seed{" "}
          <input
            type="number"
            min={0}
            data-testid="run-seed"
            value={form.seed}
            onChange={(e) => update({ seed: e.target.value })}
          />
        </label>
        <label>
          max tokens{" "}
          <input
            type="number"
            min={1}
            data-testid="run-max-tokens"
            value={form.maxNewTokens}
            onChange={(e) => update({ maxNewTokens: e.target.value })}
          />
        </label>
      </div>
      <div className="row">
        <label>
          <input
            type="checkbox"
            data-testid="run-system"
            checked={form.useSystemPrompt}
            onChange={(e) => update({ useSystemPrompt: e.target.checked })}
          />
          system prompt
        </label>
        <select
          aria-label="Box convention"
          value={form.boxReading.convention}
          onChange={(e) => update({ boxReading: { ...form.boxReading, convention: e.target.value as BoxConvention } })}
        >
          <option value="pixels">boxes in pixels</option>
          <option value="relative-1000">boxes 0–1000</option>
        </select>
        <select
          aria-label="Box factor"
          value={form.boxReading.factor}
          onChange={(e) => update({ boxReading: { ...form.boxReading, factor: Number(e.target.value) as BoxFactor } })}
        >
          <option value={28}>factor 28 (GeoZero)</option>
          <option value={32}>factor 32 (Qwen3-VL)</option>
        </select>
      </div>
      <button
        type="button"
        className="primary"
        data-testid="run-start"
        disabled={running}
        onClick={() => void startRun(form)}
      >
        Run
      </button>
      <RunStatus />
    </section>
  );
}
