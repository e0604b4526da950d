import { exportClassGrid, exportCounts, exportMerged, exportRecords, setMerge, showChip } from "../../app/sweep-view";
import type { ActiveSweep } from "../../state/sweep-store";
import { useSweepStore } from "../../state/sweep-store";
import { countByLabel } from "../../sweep/merge";
import { chipName, classLegend } from "../../sweep/results";

/** Answers listed per chip at most; the exports hold them all. */
const LISTED_CHIPS = 300;

/**
 * A sweep's results: for grounding the merged objects (method and IoU threshold adjustable, counts per label), for
 * classification the grid's legend, for other tasks the answers per chip (click one to see its chip); failed chips
 * with their reasons; the exports. Model text is shown as text only.
 */
export function SweepResults({ active }: { active: ActiveSweep }) {
  const { header, records, merged } = active;
  const task = header.request.task;
  const failed = [...records.values()].filter((r) => r.status === "failed");
  return (
    <div className="sweep-results" data-testid="sweep-results">
      {task === "grounding" && <MergedObjects active={active} />}
      {task === "scene_cls" && <ClassLegend active={active} />}
      {task !== "grounding" && task !== "scene_cls" && <ChipAnswers active={active} />}
      {failed.length > 0 && (
        <details className="sweep-failed" data-testid="sweep-failed">
          <summary>{failed.length} failed chips</summary>
          <ul>
            {failed.slice(0, 20).map((r) => (
              <li key={r.chip}>
                {chipName(r)}: {r.error}
              </li>
            ))}
          </ul>
        </details>
      )}
      <div className="row history-actions">
        {merged.length > 0 && (
          <button type="button" data-testid="sweep-export-geojson" onClick={exportMerged}>
            Objects GeoJSON
          </button>
        )}
        {merged.length > 0 && (
          <button type="button" data-testid="sweep-export-csv" onClick={exportCounts}>
            Counts CSV
          </button>
        )}
        {task === "scene_cls" && records.size > 0 && (
          <button type="button" data-testid="sweep-export-classes" onClick={exportClassGrid}>
            Class grid GeoJSON
          </button>
        )}
        {records.size > 0 && (
          <button type="button" data-testid="sweep-export-jsonl" onClick={exportRecords}>
            Chip records JSONL
          </button>
        )}
      </div>
    </div>
  );
}

function MergedObjects({ active }: { active: ActiveSweep }) {
  const merge = useSweepStore((s) => s.merge);
  const counts = countByLabel(active.merged);
  const boxes = [...active.records.values()].reduce((n, r) => n + r.boxes.length, 0);
  return (
    <>
      <div className="row settings">
        <label>
          Merge
          <select
            data-testid="sweep-merge-method"
            value={merge.method}
            onChange={(e) => setMerge({ method: e.target.value === "wbf" ? "wbf" : "nms" })}
          >
            <option value="nms">Non-maximum suppression</option>
            <option value="wbf">Weighted box fusion</option>
          </select>
        </label>
        <label>
          IoU ≥
          <input
            type="number"
            data-testid="sweep-iou"
            min={0.05}
            max={1}
            step={0.05}
            value={merge.iouThreshold}
            onChange={(e) => {
              const value = Number(e.target.value);
              if (value > 0 && value <= 1) setMerge({ iouThreshold: value });
            }}
          />
        </label>
      </div>
      <p className="hint" data-testid="sweep-merged-count">
        {active.merged.length} objects merged from {boxes} chip boxes
      </p>
      {counts.length > 0 && (
        <table className="sweep-counts" data-testid="sweep-counts">
          <tbody>
            {counts.map(({ label, count }) => (
              <tr key={label}>
                <td>{label}</td>
                <td>{count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function ClassLegend({ active }: { active: ActiveSweep }) {
  const legend = classLegend(active.records.values());
  if (legend.length === 0) return null;
  return (
    <ul className="sweep-legend" data-testid="sweep-legend">
      {legend.map(({ label, colour, chips }) => (
        <li key={label}>
          <span className="swatch" style={{ background: colour }} />
          {label} · {chips} chip{chips === 1 ? "" : "s"}
        </li>
      ))}
    </ul>
  );
}

function ChipAnswers({ active }: { active: ActiveSweep }) {
  const shown = useSweepStore((s) => s.shownChip);
  const done = [...active.records.values()].filter((r) => r.status === "done").sort((a, b) => a.chip - b.chip);
  if (done.length === 0) return null;
  return (
    <>
      <ol className="sweep-answers" data-testid="sweep-answers">
        {done.slice(0, LISTED_CHIPS).map((r) => (
          <li key={r.chip}>
            <button
              type="button"
              className="link"
              aria-pressed={shown === r.chip}
              data-testid="sweep-answer"
              onClick={() => showChip(r)}
            >
              {chipName(r)}
            </button>{" "}
            <span>{r.answer || r.text || "(no answer)"}</span>
          </li>
        ))}
      </ol>
      {done.length > LISTED_CHIPS && (
        <p className="hint">
          The first {LISTED_CHIPS} of {done.length} chips; the JSONL export holds every answer.
        </p>
      )}
    </>
  );
}
