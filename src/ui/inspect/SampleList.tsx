import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState } from "react";
import { useShallow } from "zustand/react/shallow";
import type { SizeBucket } from "../../eval/metrics/grounding";
import {
  MARK_FILTERS,
  type MarkFilter,
  type OutcomeFilter,
  type ParseFilter,
  SORT_ORDERS,
  type SortOrder,
} from "../../inspect/filter";
import { formatThreshold, outcomeOf, PARSE_LABELS } from "../../inspect/rows";
import { useInspectStore } from "../../inspect/store";

const ROW_HEIGHT = 30;
const BUCKETS: SizeBucket[] = ["S", "M", "L"];

const SORT_LABELS: Record<SortOrder, string> = {
  worst: "worst IoU first",
  best: "best IoU first",
  index: "file order",
  "area-small": "smallest reference box first",
  "area-large": "largest reference box first",
  image: "by image",
};

const MARK_LABELS: Record<MarkFilter, string> = {
  all: "marked or not",
  unmarked: "not marked yet",
  marked: "marked",
  correct: "marked correct",
  "wrong-reference": "marked wrong reference",
  ambiguous: "marked ambiguous",
};

/** The threshold as typed: any value from 0 to 1 (the slider moves in steps of 0.05). */
function ThresholdInput() {
  const threshold = useInspectStore((s) => s.threshold);
  const setThreshold = useInspectStore((s) => s.setThreshold);
  const [text, setText] = useState(String(threshold));
  useEffect(() => setText((current) => (Number(current) === threshold ? current : String(threshold))), [threshold]);
  const value = Number(text);
  const valid = text.trim() !== "" && Number.isFinite(value) && value >= 0 && value <= 1;
  return (
    <>
      <input
        type="number"
        min={0}
        max={1}
        step={0.01}
        aria-label="IoU threshold, typed"
        aria-invalid={!valid}
        data-testid="threshold-input"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const typed = Number(e.target.value);
          if (e.target.value.trim() !== "" && typed >= 0 && typed <= 1) setThreshold(typed);
        }}
      />
      {!valid && (
        <span className="error" data-testid="threshold-error">
          The threshold is a number from 0 to 1; got "{text}". The list keeps {formatThreshold(threshold)}.
        </span>
      )}
    </>
  );
}

/** The filter controls and the IoU threshold (slider or typed). */
function ListControls() {
  const { filter, threshold, setFilter, setThreshold, order, rows } = useInspectStore(
    useShallow(({ filter, threshold, setFilter, setThreshold, order, rows }) => ({
      filter,
      threshold,
      setFilter,
      setThreshold,
      order,
      rows,
    })),
  );
  const toggleBucket = (bucket: SizeBucket) =>
    setFilter({
      buckets: filter.buckets.includes(bucket)
        ? filter.buckets.filter((b) => b !== bucket)
        : [...filter.buckets, bucket],
    });
  return (
    <div className="list-controls">
      <div className="row threshold">
        <label>
          IoU threshold{" "}
          <input
            type="range"
            min={0.05}
            max={0.95}
            step={0.05}
            value={threshold}
            data-testid="threshold"
            onChange={(e) => setThreshold(Number(e.target.value))}
          />
        </label>
        <output data-testid="threshold-value">{formatThreshold(threshold)}</output>
        <ThresholdInput />
      </div>
      <div className="row">
        <select
          aria-label="Outcome"
          data-testid="filter-outcome"
          value={filter.outcome}
          onChange={(e) => setFilter({ outcome: e.target.value as OutcomeFilter })}
        >
          <option value="all">hits and misses</option>
          <option value="hit">hits</option>
          <option value="miss">misses</option>
        </select>
        <select
          aria-label="Parse"
          data-testid="filter-parse"
          value={filter.parse}
          onChange={(e) => setFilter({ parse: e.target.value as ParseFilter })}
        >
          <option value="all">any answer</option>
          <option value="failures">parse failures</option>
          <option value="no-box">no box</option>
          <option value="malformed">malformed box</option>
        </select>
        <select
          aria-label="Review mark"
          data-testid="filter-mark"
          value={filter.mark}
          onChange={(e) => setFilter({ mark: e.target.value as MarkFilter })}
        >
          {MARK_FILTERS.map((mark) => (
            <option key={mark} value={mark}>
              {MARK_LABELS[mark]}
            </option>
          ))}
        </select>
        <select
          aria-label="Sort"
          data-testid="sort"
          value={filter.sort}
          onChange={(e) => setFilter({ sort: e.target.value as SortOrder })}
        >
          {SORT_ORDERS.map((sort) => (
            <option key={sort} value={sort}>
              {SORT_LABELS[sort]}
            </option>
          ))}
        </select>
      </div>
      <div className="row">
        {BUCKETS.map((bucket) => (
          <label key={bucket}>
            <input
              type="checkbox"
              data-testid={`filter-bucket-${bucket}`}
              checked={filter.buckets.includes(bucket)}
              onChange={() => toggleBucket(bucket)}
            />
            {bucket}
          </label>
        ))}
        <input
          type="search"
          placeholder="Filter text"
          aria-label="Filter text"
          data-testid="filter-text"
          value={filter.text}
          onChange={(e) => setFilter({ text: e.target.value })}
        />
        {filter.iou && (
          <button
            type="button"
            className="chip"
            data-testid="filter-iou"
            title="Shows readable boxes with an IoU in this range; click to show every IoU"
            onClick={() => setFilter({ iou: null })}
          >
            IoU {filter.iou.from.toFixed(2)}–{filter.iou.to.toFixed(2)} ×
          </button>
        )}
      </div>
      <p className="hint" data-testid="list-count">
        {order.length} of {rows.length} samples · j/k or arrows to step · 1 correct, 2 wrong reference, 3 ambiguous, 0
        clears
      </p>
    </div>
  );
}

/** Every record (virtualised: thousands scroll smoothly) with id, IoU, outcome at the threshold, bucket and parse. */
export function SampleList() {
  const { rows, order, selectedId, threshold, marks, select, leftOut } = useInspectStore(
    useShallow(({ rows, order, selectedId, threshold, marks, select, problems }) => ({
      rows,
      order,
      selectedId,
      threshold,
      marks,
      select,
      leftOut: problems.mismatch?.ids ?? null,
    })),
  );
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  // Follows the selection (keyboard review), not filter or sort changes: scrolling forces a layout of the list.
  const position = useRef({ order, rows });
  position.current = { order, rows };
  useEffect(() => {
    const { order, rows } = position.current;
    const at = order.findIndex((i) => rows[i].id === selectedId);
    if (at >= 0) virtualizer.scrollToIndex(at, { align: "auto" });
  }, [selectedId, virtualizer]);

  return (
    <section className="inspect-list" aria-label="Samples">
      <ListControls />
      <div ref={scroller} className="list-scroller" data-testid="sample-list">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[order[item.index]];
            const outcome = outcomeOf(row, threshold);
            const mark = marks.get(row.id)?.verdict;
            return (
              <button
                type="button"
                key={row.id}
                data-testid="sample-row"
                data-id={row.id}
                data-outcome={outcome}
                data-left-out={leftOut?.has(row.id) ? "true" : undefined}
                aria-current={row.id === selectedId}
                className={`sample-row ${outcome}${row.id === selectedId ? " selected" : ""}`}
                style={{ height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => select(row.id)}
              >
                <span className="row-iou">{row.iou === null || row.parse !== "box" ? "–" : row.iou.toFixed(3)}</span>
                <span className={`row-outcome ${outcome}`}>{outcome}</span>
                <span className="row-bucket">{row.bucket ?? "·"}</span>
                <span className="row-id" title={row.id}>
                  {row.id}
                </span>
                {row.parse !== "box" && <span className="row-parse">{PARSE_LABELS[row.parse]}</span>}
                {leftOut?.has(row.id) && (
                  <span className="row-parse" title="Not made from the annotation file opened; left out of the summary">
                    other file
                  </span>
                )}
                {mark && <span className="row-mark">{mark}</span>}
              </button>
            );
          })}
        </div>
      </div>
    </section>
  );
}
