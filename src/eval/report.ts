/** The run's summary (JSON and Markdown) and its progress line. */
import type { Decoding } from "../tasks/prompts";
import type { BoxReading } from "./metrics/grounding";
import type { EvalTask } from "./tasks";

export interface EvalSummary {
  model: string;
  dtype: string;
  device: string;
  task: EvalTask;
  data: string;
  images: string;
  system_prompt: boolean;
  decoding: Decoding;
  seed: number;
  box_reading: BoxReading | null;
  /** Records taken from the file (after --limit). */
  records: number;
  /** Samples with a record, this run and earlier ones. */
  evaluated: number;
  missing_images: number;
  missing: string[];
  /** Generation time summed over the evaluated samples, and the throughput it gives. */
  generation_seconds: number;
  samples_per_second: number;
  interrupted: boolean;
  notes: string[];
  metrics: Record<string, number>;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "–";
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

export function summaryMarkdown(s: EvalSummary): string {
  const decoding = Object.entries(s.decoding)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const rows: Array<[string, string]> = [
    ["model", s.model],
    ["dtype", s.dtype],
    ["device", s.device],
    ["task", s.task],
    ["data", s.data],
    ["system prompt", s.system_prompt ? "yes" : "no"],
    ["decoding", `${decoding}; seed ${s.seed}`],
    ...(s.box_reading
      ? [["boxes", `${s.box_reading.convention}, factor ${s.box_reading.factor}`] as [string, string]]
      : []),
    ["samples", `${s.evaluated} of ${s.records}${s.interrupted ? " (interrupted; rerun to resume)" : ""}`],
    ["missing images", String(s.missing_images)],
    ["samples/s", s.samples_per_second.toFixed(3)],
  ];
  const metricRows = Object.entries(s.metrics).map(([k, v]) => `| ${k} | ${formatNumber(v)} |`);
  return [
    `# Evaluation: ${s.task} on ${s.model}`,
    "",
    "| | |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| ${k} | ${v.replaceAll("|", "\\|")} |`),
    "",
    "| metric | value |",
    "| --- | --- |",
    ...metricRows,
    ...(s.notes.length > 0 ? ["", ...s.notes.map((n) => `- ${n}`)] : []),
    "",
  ].join("\n");
}

/** `[#####·····] 12/50 · 0.85 samples/s · ETA 45 s`; rate and ETA from this session's samples. */
export function formatProgress(done: number, total: number, doneThisRun: number, elapsedSeconds: number): string {
  const width = 20;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = `${"#".repeat(filled)}${"·".repeat(width - filled)}`;
  const rate = elapsedSeconds > 0 ? doneThisRun / elapsedSeconds : 0;
  const eta = rate > 0 ? formatDuration((total - done) / rate) : "–";
  return `[${bar}] ${done}/${total} · ${rate.toFixed(2)} samples/s · ETA ${eta}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
