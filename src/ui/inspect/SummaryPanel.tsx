import { useDeferredValue, useMemo } from "react";
import { iouHistogram } from "../../eval/metrics/grounding";
import type { SampleRecord } from "../../eval/record-format";
import { groundingMetrics } from "../../eval/score";
import { recordsAt } from "../../inspect/export";
import { formatThreshold, type InspectRow, outcomeOf } from "../../inspect/rows";
import { useInspectStore } from "../../inspect/store";
import { BarChart } from "./BarChart";

const BINS = 10;
const HIT = "#46c46b";
const MISS = "#ff6b6b";
const BUCKETS = ["S", "M", "L"] as const;

/** GeoZero's percent with two decimals, as its log prints it; "–" where a bucket is empty. */
function percent(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? "–" : value.toFixed(2);
}

/** The records and rows that count as the annotation file's samples: those that fit it (all, without one). */
function useScored(): { records: SampleRecord[]; rows: InspectRow[]; shown: SampleRecord[] } {
  const records = useInspectStore((s) => s.records);
  const rows = useInspectStore((s) => s.rows);
  const order = useInspectStore((s) => s.order);
  const leftOut = useInspectStore((s) => s.problems.mismatch?.ids ?? null);
  return useMemo(() => {
    const fits = (item: { id: string }) => leftOut === null || !leftOut.has(item.id);
    return {
      records: leftOut ? records.filter(fits) : records,
      rows: leftOut ? rows.filter(fits) : rows,
      shown: recordsAt(records, order).filter(fits),
    };
  }, [records, rows, order, leftOut]);
}

/** Misses by cause and the samples that count nowhere, at the threshold. */
function failureCounts(rows: readonly InspectRow[], threshold: number): Record<string, number> {
  const counts = { "IoU below": 0, "no box": 0, malformed: 0, "no reference": 0 };
  for (const row of rows) {
    if (row.parse === "no-box") counts["no box"]++;
    else if (row.parse === "malformed") counts.malformed++;
    else if (row.parse === "no-reference") counts["no reference"]++;
    else if (outcomeOf(row, threshold) === "miss") counts["IoU below"]++;
  }
  return counts;
}

/**
 * Acc@threshold overall and per bucket, of every sample and of those the list shows — `npm run eval`'s own function
 * (src/eval/score.ts), so at 0.5 the first column is its summary's numbers — the IoU histogram of readable
 * predictions (a bar filters the list to its range) and the failure counts.
 */
export function SummaryPanel() {
  const { records, rows, shown } = useScored();
  const total = useInspectStore((s) => s.records.length);
  const threshold = useInspectStore((s) => s.threshold);
  const leftOut = useInspectStore((s) => s.problems.mismatch?.ids ?? null);
  // The numbers follow the slider at once; the charts redraw in a deferred render that a next move can interrupt.
  const chartThreshold = useDeferredValue(threshold);
  const metrics = useMemo(() => groundingMetrics(records, threshold), [records, threshold]);
  const shownMetrics = useMemo(() => groundingMetrics(shown, threshold), [shown, threshold]);
  const chartMetrics = useMemo(() => groundingMetrics(records, chartThreshold), [records, chartThreshold]);
  const failures = useMemo(() => failureCounts(rows, chartThreshold), [rows, chartThreshold]);
  if (total === 0) return null;
  const shownAll = shown.length === records.length;
  return (
    <section className="panel summary" aria-labelledby="summary-heading" data-testid="summary">
      <h2 id="summary-heading">Summary at IoU ≥ {formatThreshold(threshold)}</h2>
      <table className="metrics">
        <thead>
          <tr>
            <th />
            <th colSpan={2}>all samples</th>
            <th colSpan={2} title="The samples the list shows (its filters)">
              shown
            </th>
          </tr>
          <tr>
            <th>Acc@{formatThreshold(threshold)}</th>
            <th>%</th>
            <th>n</th>
            <th>%</th>
            <th>n</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th>overall</th>
            <td data-testid="summary-accuracy">{percent(metrics.accuracy)}</td>
            <td data-testid="summary-counted">{metrics.counted}</td>
            <td data-testid="summary-shown-accuracy">{percent(shownMetrics.accuracy)}</td>
            <td data-testid="summary-shown-counted">{shownMetrics.counted}</td>
          </tr>
          {BUCKETS.map((bucket) => (
            <tr key={bucket}>
              <th>{bucket}</th>
              <td data-testid={`summary-accuracy-${bucket}`}>{percent(metrics[`accuracy_${bucket}`])}</td>
              <td data-testid={`summary-count-${bucket}`}>{metrics[`count_${bucket}`]}</td>
              <td data-testid={`summary-shown-accuracy-${bucket}`}>{percent(shownMetrics[`accuracy_${bucket}`])}</td>
              <td data-testid={`summary-shown-count-${bucket}`}>{shownMetrics[`count_${bucket}`]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        {shownAll ? "The list shows every sample." : `The list shows ${shown.length} of ${records.length} samples.`}
      </p>
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
      <IouHistogram rows={rows} threshold={chartThreshold} />
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

/** The IoU histogram of readable boxes; a bar (or its button) filters the list to its range, again to show all. */
function IouHistogram({ rows, threshold }: { rows: readonly InspectRow[]; threshold: number }) {
  const range = useInspectStore((s) => s.filter.iou);
  const setFilter = useInspectStore((s) => s.setFilter);
  const histogram = useMemo(
    () =>
      iouHistogram(
        rows.filter((r) => r.parse === "box" && r.iou !== null).map((r) => r.iou as number),
        BINS,
      ),
    [rows],
  );
  const binOf = (i: number) => ({ from: i / BINS, to: (i + 1) / BINS });
  const isActive = (i: number) => range !== null && range.from === binOf(i).from && range.to === binOf(i).to;
  const toggle = (i: number) => setFilter({ iou: isActive(i) ? null : binOf(i) });
  const labels = histogram.map((_, i) => (i / BINS).toFixed(1));
  return (
    <>
      <h3>IoU of readable boxes</h3>
      <BarChart
        title="IoU histogram: click a bar to list its samples"
        testId="chart-histogram"
        labels={labels}
        values={histogram}
        colours={histogram.map((_, i) => {
          const colour = (i + 1) / BINS > threshold ? HIT : MISS;
          return range === null || isActive(i) ? colour : `${colour}55`;
        })}
        onBarClick={toggle}
      />
      <fieldset className="histogram-bins" aria-label="List the samples of an IoU range">
        {histogram.map((count, i) => (
          <button
            type="button"
            key={labels[i]}
            data-testid={`histogram-bin-${i}`}
            aria-pressed={isActive(i)}
            title={`IoU ${binOf(i).from.toFixed(1)}–${binOf(i).to.toFixed(1)}: ${count} samples`}
            onClick={() => toggle(i)}
          >
            {labels[i]}
          </button>
        ))}
      </fieldset>
    </>
  );
}
