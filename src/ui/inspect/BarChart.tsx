import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  LinearScale,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "react";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);
Chart.defaults.color = "#9aa4b2";
Chart.defaults.borderColor = "#2c343f";

/**
 * One bar chart drawn by Chart.js; its data updates in place. `title` labels the canvas for screen readers; with
 * `onBarClick` a click on a bar calls it with the bar's index (the canvas's `data-bars` holds each bar's centre, in
 * CSS pixels of the canvas, for tests to click).
 */
export function BarChart({
  title,
  labels,
  values,
  colours,
  max,
  testId,
  onBarClick,
}: {
  title: string;
  labels: string[];
  values: number[];
  colours: string[];
  max?: number;
  testId: string;
  onBarClick?: (index: number) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"bar"> | null>(null);
  const click = useRef(onBarClick);
  click.current = onBarClick;
  useEffect(() => {
    if (!canvas.current) return;
    const config: ChartConfiguration<"bar"> = {
      type: "bar",
      data: { labels: [], datasets: [{ data: [], backgroundColor: [] }] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        onClick: (_event, elements) => {
          if (elements.length > 0) click.current?.(elements[0].index);
        },
        onHover: (event, elements) => {
          const target = event.native?.target;
          if (target instanceof HTMLElement && click.current)
            target.style.cursor = elements.length > 0 ? "pointer" : "default";
        },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    };
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);
  // Redrawn only when the numbers change, not on every render of the view.
  const key = JSON.stringify([labels, values, colours, max]);
  useEffect(() => {
    const current = chart.current;
    const [nextLabels, nextValues, nextColours, nextMax] = JSON.parse(key) as [string[], number[], string[], number?];
    if (!current) return;
    current.data.labels = nextLabels;
    current.data.datasets[0].data = nextValues;
    current.data.datasets[0].backgroundColor = nextColours;
    if (current.options.scales?.y) current.options.scales.y.max = nextMax ?? undefined;
    current.update("none");
    const bars = current.getDatasetMeta(0).data.map((bar) => `${Math.round(bar.x)},${Math.round(bar.y)}`);
    current.canvas.dataset.bars = bars.join(" ");
  }, [key]);
  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={title} data-testid={testId} data-values={values.join(",")} />
    </div>
  );
}
