import { useDeferredValue, useMemo } from "react";
import { iouHistogram } from "../../eval/metrics/grounding";
import { groundingMetrics } from "../../eval/score";
import { outcomeOf } from "../../inspect/rows";
import { useInspectStore } from "../../inspect/store";
import { BarChart } from "./BarChart";

const BINS = 10;
const HIT = "#46c46b";
const MISS = "#ff6b6b";

/** GeoZero's percent with two decimals, as its log prints it; "–" where a bucket is empty. */
function percent(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? "–" : value.toFixed(2);
}

/**
 * Acc@threshold overall and per bucket — `npm run eval`'s own function (src/eval/score.ts), so at 0.5 these are its
 * summary's numbers — the IoU histogram of readable predictions and the failure counts.
 */
export function SummaryPanel() {
  const allRecords = useInspectStore((s) => s.records);
  const allRows = useInspectStore((s) => s.rows);
  const threshold = useInspectStore((s) => s.threshold);
  const leftOut = useInspectStore((s) => s.problems.mismatch?.ids ?? null);
  // Records that do not fit the annotation file opened are listed but not scored as its samples.
  const { records, rows } = useMemo(
    () =>
      leftOut
        ? { records: allRecords.filter((r) => !leftOut.has(r.id)), rows: allRows.filter((r) => !leftOut.has(r.id)) }
        : { records: allRecords, rows: allRows },
    [allRecords, allRows, leftOut],
  );
  // The numbers follow the slider at once; the charts redraw in a deferred render that a next move can interrupt.
  const chartThreshold = useDeferredValue(threshold);
  const metrics = useMemo(() => groundingMetrics(records, threshold), [records, threshold]);
  const chartMetrics = useMemo(() => groundingMetrics(records, chartThreshold), [records, chartThreshold]);
  const histogram = useMemo(
    () =>
      iouHistogram(
        rows.filter((r) => r.parse === "box" && r.iou !== null).map((r) => r.iou as number),
        BINS,
      ),
    [rows],
  );
  const failures = useMemo(() => {
    const counts = { "IoU below": 0, "no box": 0, malformed: 0, "no reference": 0 };
    for (const row of rows) {
      if (row.parse === "no-box") counts["no box"]++;
      else if (row.parse === "malformed") counts.malformed++;
      else if (row.parse === "no-reference") counts["no reference"]++;
      else if (outcomeOf(row, chartThreshold) === "miss") counts["IoU below"]++;
    }
    return counts;
  }, [rows, chartThreshold]);
  if (allRecords.length === 0) return null;
  const binLabels = histogram.map((_, i) => `${(i / BINS).toFixed(1)}`);
  return (
    <section className="panel summary" aria-labelledby="summary-heading" data-testid="summary">
      <h2 id="summary-heading">Summary at IoU ≥ {threshold.toFixed(2)}</h2>
      <table className="metrics">
        <thead>
          <tr>
            <th />
            <th>Acc@{threshold.toFixed(2)} %</th>
            <th>samples</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>overall</th>
            <td data-testid="summary-accuracy">{percent(metrics.accuracy)}</td>
            <td data-testid="summary-counted">{metrics.counted}</td>
          </tr>
          {(["S", "M", "L"] as const).map((bucket) => (
            <tr key={bucket}>
              <th>{bucket}</th>
              <td data-testid={`summary-accuracy-${bucket}`}>{percent(metrics[`accuracy_${bucket}`])}</td>
              <td data-testid={`summary-count-${bucket}`}>{metrics[`count_${bucket}`]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {leftOut && (
        <p className="warning" data-testid="summary-left-out">
          {leftOut.size} record{leftOut.size === 1 ? " is" : "s are"} left out: not made from the annotation file opened
          (see above).
        </p>
      )}
      <BarChart
        title="Accuracy by size bucket"
        testId="chart-accuracy"
        labels={["all", "S", "M", "L"]}
        values={[chartMetrics.accuracy, chartMetrics.accuracy_S, chartMetrics.accuracy_M, chartMetrics.accuracy_L].map(
          (v) => (Number.isNaN(v) ? 0 : v),
        )}
        colours={["#ffb000", "#00c2ff", "#00c2ff", "#00c2ff"]}
        max={100}
      />
      <h3>IoU of readable boxes</h3>
      <BarChart
        title="IoU histogram"
        testId="chart-histogram"
        labels={binLabels}
        values={histogram}
        colours={histogram.map((_, i) => ((i + 1) / BINS > chartThreshold ? HIT : MISS))}
      />
      <h3>Misses and uncounted</h3>
      <BarChart
        title="Failure counts"
        testId="chart-failures"
        labels={Object.keys(failures)}
        values={Object.values(failures)}
        colours={[MISS, MISS, MISS, "#9aa4b2"]}
      />
      <p className="hint" data-testid="failure-counts">
        {Object.entries(failures)
          .map(([k, v]) => `${k}: ${v}`)
          .join(" · ")}
      </p>
    </section>
  );
}
