/**
 * What a sweep's records become: the merged objects as GeoJSON, counts per label (CSV), the classification grid, the
 * free-text answers per chip, and the records themselves as JSONL. The same functions serve the app's layers and
 * exports and `npm run sweep`, so a browser export and a headless run of one plan give the same files.
 */
import { pixelToLngLat } from "../geo/georef";
import { BOX_COLOURS } from "../tasks/geojson";
import { countByLabel, type MergedBox, type MergeOptions, mergeBoxes, type SweepBox } from "./merge";
import type { PixelRect } from "./plan";
import { type ChipRecord, describeSweep, type SweepHeader } from "./records";

/** Every box of the done chips, in chip order, for the merge. */
export function sweepBoxes(records: Iterable<ChipRecord>): SweepBox[] {
  const done = [...records].filter((r) => r.status === "done").sort((a, b) => a.chip - b.chip);
  return done.flatMap((r) => r.boxes.map((b) => ({ box: b.grid, label: b.label, chip: r.chip, chipRect: r.rect })));
}

/** A rectangle of the plan's grid as a closed longitude/latitude ring (corners turned by a raster's CRS). */
export function gridRing(header: SweepHeader, [x1, y1, x2, y2]: PixelRect): number[][] {
  const corners: Array<[number, number]> = [
    [x1, y2],
    [x2, y2],
    [x2, y1],
    [x1, y1],
    [x1, y2],
  ];
  return corners.map((p) => pixelToLngLat(header.plan.grid.georef, p));
}

/** A chip's name in the lattice, `r2c5` (row 2, column 5), as exports and the list show it. */
export function chipName(record: Pick<ChipRecord, "row" | "col">): string {
  return `r${record.row}c${record.col}`;
}

/**
 * The merged objects as GeoJSON polygons: each with its label, the chips it was seen in and their answers' text, how
 * many chip boxes it merges, and the merge that made it.
 */
export function mergedGeoJson(
  header: SweepHeader,
  records: ReadonlyMap<number, ChipRecord>,
  merged: readonly MergedBox[],
  options: MergeOptions,
): GeoJSON.FeatureCollection<GeoJSON.Polygon> {
  const features = merged.map((box, index) => ({
    type: "Feature" as const,
    properties: {
      index,
      label: box.label,
      colour: BOX_COLOURS[index % BOX_COLOURS.length],
      chips: box.chips.map((c) => {
        const record = records.get(c);
        return { chip: c, name: record ? chipName(record) : String(c), answer: record?.answer ?? "" };
      }),
      parts: box.parts,
      score: box.score,
      grid: box.box,
    },
    geometry: { type: "Polygon" as const, coordinates: [gridRing(header, box.box)] },
  }));
  return {
    type: "FeatureCollection",
    ...{ sweep: header.id, model: header.model, instruction: header.request.instruction, merge: options },
    features,
  } as GeoJSON.FeatureCollection<GeoJSON.Polygon>;
}

/** Merges the records' boxes and writes them as GeoJSON: what `npm run sweep` and the app's export write. */
export function mergeRecords(
  header: SweepHeader,
  records: ReadonlyMap<number, ChipRecord>,
  options: MergeOptions,
): { merged: MergedBox[]; geojson: GeoJSON.FeatureCollection<GeoJSON.Polygon> } {
  const merged = mergeBoxes(sweepBoxes(records.values()), options);
  return { merged, geojson: mergedGeoJson(header, records, merged, options) };
}

/** A CSV field, quoted when it holds a comma, quote or line break. */
function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Counts per label as CSV (`label,count`), most first. */
export function countsCsv(merged: readonly MergedBox[]): string {
  const rows = countByLabel(merged).map(({ label, count }) => `${csvField(label)},${count}`);
  return `label,count\n${rows.join("\n")}${rows.length ? "\n" : ""}`;
}

/** Colours of the classification grid's classes, in legend order. */
const CLASS_COLOURS = [...BOX_COLOURS, "#8dd3c7", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#bc80bd"];

/** Colour for answers that name none of the classes. */
export const UNCLASSIFIED_COLOUR = "#9e9e9e";

/** The legend of a classification sweep: each class found, its colour and how many chips it has, most first. */
export function classLegend(records: Iterable<ChipRecord>): Array<{ label: string; colour: string; chips: number }> {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.status !== "done" || r.class === undefined) continue;
    const label = r.class ?? "none of the classes";
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const classes = [...counts].filter(([label]) => label !== "none of the classes");
  classes.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const legend = classes.map(([label, chips], i) => ({
    label,
    colour: CLASS_COLOURS[i % CLASS_COLOURS.length],
    chips,
  }));
  const none = counts.get("none of the classes");
  if (none) legend.push({ label: "none of the classes", colour: UNCLASSIFIED_COLOUR, chips: none });
  return legend;
}

/** The classification grid: each done chip as a polygon with its class and the class's colour (a coarse map). */
export function classificationGrid(
  header: SweepHeader,
  records: Iterable<ChipRecord>,
): GeoJSON.FeatureCollection<GeoJSON.Polygon> {
  const list = [...records].filter((r) => r.status === "done" && r.class !== undefined).sort((a, b) => a.chip - b.chip);
  const colours = new Map(classLegend(list).map((entry) => [entry.label, entry.colour]));
  return {
    type: "FeatureCollection",
    features: list.map((r) => ({
      type: "Feature",
      properties: {
        chip: r.chip,
        name: chipName(r),
        class: r.class ?? null,
        colour: colours.get(r.class ?? "none of the classes") ?? UNCLASSIFIED_COLOUR,
        answer: r.answer,
      },
      geometry: { type: "Polygon", coordinates: [gridRing(header, r.rect)] },
    })),
  };
}

/** The records as JSONL: the header, then each chip in chip order. */
export function recordsJsonl(header: SweepHeader, records: Iterable<ChipRecord>): string {
  const ordered = [...records].sort((a, b) => a.chip - b.chip);
  return [header, ...ordered].map((line) => `${JSON.stringify(line)}\n`).join("");
}

/** One records file read: its header and chips, or why it cannot be used. */
export type RecordsReading =
  | { valid: true; header: SweepHeader; records: ChipRecord[] }
  | { valid: false; reason: string };

/**
 * Reads a records file (JSONL: a sweep header, then chip records). Chips of another sweep, or lines that are no
 * record, are refused with their line number; an empty last line is allowed.
 */
export function readRecords(text: string, name: string): RecordsReading {
  const lines = text.split("\n");
  let header: SweepHeader | null = null;
  const records: ChipRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let parsed: { kind?: unknown; sweep?: unknown; id?: unknown };
    try {
      parsed = JSON.parse(line);
    } catch {
      return { valid: false, reason: `${name}, line ${i + 1}: not JSON; a records file holds one JSON object a line.` };
    }
    if (!header) {
      if (parsed.kind !== "sweep") {
        return {
          valid: false,
          reason: `${name}, line ${i + 1}: the first record must be the sweep's header; this is no records file of npm run sweep or the app.`,
        };
      }
      header = parsed as SweepHeader;
      continue;
    }
    if (parsed.kind !== "chip" || parsed.sweep !== header.id) {
      return { valid: false, reason: `${name}, line ${i + 1}: not a chip record of sweep ${header.id}.` };
    }
    records.push(parsed as ChipRecord);
  }
  if (!header) return { valid: false, reason: `${name} is empty: it holds no sweep header.` };
  return { valid: true, header, records };
}

/**
 * Combines the records of several files (a sweep's shards) into one map by chip, refusing files of different plans
 * by naming both. A chip answered twice keeps its done record over a failed one, else the first.
 */
export function combineRecords(
  files: ReadonlyArray<{ name: string; reading: RecordsReading }>,
): { valid: true; header: SweepHeader; records: Map<number, ChipRecord> } | { valid: false; reason: string } {
  let first: { name: string; header: SweepHeader } | null = null;
  const records = new Map<number, ChipRecord>();
  for (const { name, reading } of files) {
    if (!reading.valid) return reading;
    if (!first) first = { name, header: reading.header };
    else if (reading.header.id !== first.header.id) {
      return {
        valid: false,
        reason:
          `${first.name} and ${name} are records of different sweeps (${describeSweep(first.header)}; ` +
          `${describeSweep(reading.header)}): merge the shards of one plan, model and question only.`,
      };
    }
    for (const record of reading.records) {
      const kept = records.get(record.chip);
      if (!kept || (kept.status === "failed" && record.status === "done")) records.set(record.chip, record);
    }
  }
  if (!first) return { valid: false, reason: "No records file was given; name the shards' records files." };
  return { valid: true, header: first.header, records };
}
