import { chipAnswererReady, pauseSweep, resumeSweep, startSweep, stopSweep, sweepRunning } from "../../app/sweep";
import { drawSweepLayers } from "../../app/sweep-view";
import { formatDuration } from "../../eval/report";
import { loadedModelOf, useModelStore } from "../../state/model-store";
import { currentSource, useAppStore } from "../../state/store";
import { type ActiveSweep, useSweepStore } from "../../state/sweep-store";
import type { SweepPlan } from "../../sweep/plan";
import { formatGsd } from "../format";
import { useInstruction } from "../model/TaskPicker";
import { SweepResults } from "./SweepResults";

/**
 * Sweeping the selection chip by chip: the plan's settings and numbers (its grid drawn on the map before anything
 * runs), the run's progress with Pause, Resume and Stop, and the merged results. Each chip is asked the Ask panel's
 * task and instruction.
 */
export function SweepPanel() {
  const planning = useSweepStore((s) => s.planning);
  const active = useSweepStore((s) => s.active);
  const error = useSweepStore((s) => s.error);

  return (
    <section className="panel" id="sweep-panel" aria-labelledby="sweep-heading">
      <h2 id="sweep-heading">Sweep an area</h2>
      <label className="row">
        <input
          type="checkbox"
          data-testid="sweep-plan-toggle"
          checked={planning}
          onChange={(e) => useSweepStore.getState().set({ planning: e.target.checked })}
        />
        Plan a sweep of the selection, chip by chip
      </label>
      {planning && <PlanForm />}
      {planning && <PlanSummary />}
      {error && (
        <p className="error" role="alert" data-testid="sweep-error">
          {error}
        </p>
      )}
      {active && <SweepProgress active={active} />}
      {active && <SweepResults active={active} />}
    </section>
  );
}

function PlanForm() {
  const { form, set } = useSweepStore();
  const app = useAppStore();
  const source = currentSource(app);
  const isRaster = source.kind === "geotiff";
  const levels = isRaster
    ? source.info.levels.map((_, i) => i)
    : Array.from({ length: source.maxZoom + 1 }, (_, z) => source.maxZoom - z);
  const defaultText = isRaster
    ? `Default (level ${app.cropZoom ?? 0})`
    : `Default (zoom ${app.cropZoom ?? source.maxZoom})`;
  return (
    <div className="row settings sweep-form">
      <label>
        {isRaster ? "Level" : "Zoom"}
        <select
          data-testid="sweep-resolution"
          value={form.resolution ?? ""}
          onChange={(e) =>
            set({ form: { ...form, resolution: e.target.value === "" ? null : Number(e.target.value) } })
          }
        >
          <option value="">{defaultText}</option>
          {levels.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        Chip px
        <input
          type="number"
          data-testid="sweep-chip-size"
          min={64}
          step={32}
          value={form.chipSize}
          onChange={(e) => set({ form: { ...form, chipSize: Number(e.target.value) } })}
        />
      </label>
      <label>
        Overlap %
        <input
          type="number"
          data-testid="sweep-overlap"
          min={0}
          max={75}
          step={5}
          value={Math.round(form.overlap * 100)}
          onChange={(e) => set({ form: { ...form, overlap: Number(e.target.value) / 100 } })}
        />
      </label>
    </div>
  );
}

function planText(plan: SweepPlan): string {
  const where = plan.grid.kind === "raster" ? `level ${plan.grid.level}` : `zoom ${plan.grid.zoom}`;
  const { chipSize, overlap } = plan.settings;
  const megapixels = (plan.pixels / 1e6).toFixed(plan.pixels < 1e7 ? 2 : 0);
  return (
    `${plan.chipCount} chips (${plan.cols} × ${plan.rows}) of ${chipSize} px, ${Math.round(overlap * 100)} % overlap ` +
    `(${plan.overlapPx} px), at ${where}: ${megapixels} Mpx, ${formatGsd(plan.gsd)}`
  );
}

function currentSourceIsRaster(): boolean {
  return currentSource(useAppStore.getState()).kind === "geotiff";
}

/** The plan's numbers, or why it is refused with the nearest plan that fits; the button that starts it. */
function PlanSummary() {
  const { preview, form, set, active } = useSweepStore();
  const task = useModelStore((s) => s.task);
  const instruction = useInstruction();
  const loaded = useModelStore((s) => loadedModelOf(s.load) !== null);
  const ready = loaded || chipAnswererReady();
  if (!preview) return <p className="hint">Select an area first.</p>;
  const { result, estimateSeconds } = preview;
  if (!result.valid) {
    const { nearest } = result;
    return (
      <div data-testid="sweep-refusal">
        <p className="error">{result.reason}</p>
        {nearest && (
          <button
            type="button"
            data-testid="sweep-use-nearest"
            onClick={() => set({ form: { ...form, resolution: nearest.settings.resolution } })}
          >
            Use {currentSourceIsRaster() ? "level" : "zoom"} {nearest.settings.resolution} ({nearest.chips} chips)
          </button>
        )}
      </div>
    );
  }
  const { plan } = result;
  const running = active?.status === "running" || active?.status === "pausing";
  return (
    <>
      <p className="hint" data-testid="sweep-plan">
        {planText(plan)}
        {plan.outsideCount > 0 ? ` · ${plan.outsideCount} chips outside the imagery, skipped` : ""} ·{" "}
        {estimateSeconds === null
          ? "time measured on the first chips"
          : `about ${formatDuration(estimateSeconds)} on this device`}
      </p>
      {instruction.ok ? (
        <p className="hint sweep-instruction">Asks each chip: {instruction.text}</p>
      ) : (
        <p className="hint">{instruction.problem}</p>
      )}
      <button
        type="button"
        className="primary"
        data-testid="sweep-run"
        disabled={!instruction.ok || running || !ready}
        onClick={() => instruction.ok && void startSweep(task, instruction.text)}
      >
        Sweep {plan.chipCount} chips
      </button>
      {!ready && <p className="hint">Load a model first, in the Model panel.</p>}
    </>
  );
}

const STATUS_TEXT: Record<ActiveSweep["status"], string> = {
  running: "Sweeping",
  pausing: "Pausing after this chip",
  paused: "Paused",
  stopped: "Stopped",
  finished: "Finished",
};

/** Chips done of the total, rate, time left, and the buttons that pause, resume, stop and retry. */
function SweepProgress({ active }: { active: ActiveSweep }) {
  const { header, records, status, reason, secondsPerChip } = active;
  const total = header.plan.chipCount;
  const done = records.size;
  const failed = [...records.values()].filter((r) => r.status === "failed").length;
  const running = status === "running" || status === "pausing";
  const left = total - done;
  const rate = secondsPerChip ? 60 / secondsPerChip : null;
  const parts = [`${done} / ${total} chips`];
  if (failed > 0) parts.push(`${failed} failed`);
  if (header.plan.outsideCount > 0) parts.push(`${header.plan.outsideCount} outside the imagery, skipped`);
  if (rate !== null) parts.push(`${rate < 10 ? rate.toFixed(1) : rate.toFixed(0)} chips/min`);
  if (running && secondsPerChip && left > 0) parts.push(`about ${formatDuration(left * secondsPerChip)} left`);
  return (
    <div className="sweep-progress" data-testid="sweep-progress" data-status={status}>
      <p className="hint">
        {STATUS_TEXT[status]} · {header.request.task} · {header.model}
      </p>
      <progress max={total} value={done} data-testid="sweep-progress-bar" />
      <p className="hint" data-testid="sweep-progress-text">
        {parts.join(" · ")}
      </p>
      {reason && (
        <p className="hint" data-testid="sweep-reason">
          {reason}
        </p>
      )}
      <div className="row">
        {status === "running" && (
          <button type="button" data-testid="sweep-pause" onClick={pauseSweep}>
            Pause
          </button>
        )}
        {!running && left > 0 && (
          <button type="button" className="primary" data-testid="sweep-resume" onClick={() => void resumeSweep()}>
            Resume
          </button>
        )}
        {running && (
          <button type="button" data-testid="sweep-stop" onClick={stopSweep}>
            Stop
          </button>
        )}
        {!running && failed > 0 && (
          <button type="button" data-testid="sweep-retry" onClick={() => void resumeSweep(true)}>
            Retry {failed} failed
          </button>
        )}
        {!running && !sweepRunning() && (
          <button type="button" data-testid="sweep-close" onClick={() => closeSweep()}>
            Close
          </button>
        )}
      </div>
    </div>
  );
}

function closeSweep(): void {
  useSweepStore.getState().set({ active: null, shownChip: null });
  drawSweepLayers();
}
