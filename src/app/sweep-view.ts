/**
 * The sweep's plan and results as the app shows them: the planned grid on the map before anything runs (with the
 * time estimate from this model's measured time per chip on this device), the merged layer under the chosen merge,
 * the classification grid, and the exports.
 */
import { pixelRectToBBox } from "../geo/georef";
import type { BBox } from "../geo/tiles";
import type { ImagerySource } from "../imagery/sources";
import { pmtilesArchive } from "../imagery/tiles/readers";
import { errorMessage } from "../io/error-data";
import { loadedModelOf, useModelStore } from "../state/model-store";
import { currentSource, selectionBBox, useAppStore } from "../state/store";
import { useSweepStore } from "../state/sweep-store";
import { ChipTimer } from "../sweep/estimate";
import { type Chip, imageryRect, planChips, planSweep, type SweepSource } from "../sweep/plan";
import { type ChipRecord, type SweepHeader, sweepChipsOf } from "../sweep/records";
import { classificationGrid, countsCsv, gridRing, mergedGeoJson, mergeRecords, recordsJsonl } from "../sweep/results";
import { downloadBlob, downloadGeoJson } from "../ui/download";
import { moveMapTo } from "./map-actions";
import { modelName } from "./model";
import { useSweepLayers } from "./sweep-layers";

const sweeps = () => useSweepStore.getState();

/** The extent of a PMTiles archive's imagery, read once from its header; other sources give none (the world). */
const extents = new Map<string, Promise<BBox | undefined>>();

async function extentOf(source: ImagerySource): Promise<BBox | undefined> {
  if (source.kind !== "pmtiles") return undefined;
  let pending = extents.get(source.url);
  if (!pending) {
    // An archive whose header cannot be read leaves the extent unknown: chips are then checked by their crops.
    pending = Promise.resolve(source.url)
      .then((url) => pmtilesArchive(url).getHeader())
      .then((h) => ({ west: h.minLon, south: h.minLat, east: h.maxLon, north: h.maxLat }))
      .catch(() => undefined);
    extents.set(source.url, pending);
  }
  return pending;
}

/** A source as the planner takes it: a tile pyramid with its extent, or a raster's own grid. */
export async function sweepSourceOf(source: ImagerySource): Promise<SweepSource> {
  if (source.kind === "geotiff") return { kind: "raster", info: source.info };
  return { kind: "tiles", tileSize: source.tileSize, maxZoom: source.maxZoom, extent: await extentOf(source) };
}

/** The sweep's resolution when the form leaves it to the app: the crop zoom the user set, else the finest. */
export function defaultResolution(source: ImagerySource, cropZoom: number | null): number {
  if (cropZoom !== null) return cropZoom;
  return source.kind === "geotiff" ? 0 : source.maxZoom;
}

const TIMES_KEY = "geozero-web:sweep-times";

/** Earlier chip times of a model, chip size and task on this device (localStorage). */
export function earlierChipTimes(model: string, chipSize: number, task: string): number[] {
  try {
    const all = JSON.parse(globalThis.localStorage?.getItem(TIMES_KEY) ?? "{}") as Record<string, number[]>;
    return all[`${model}|${chipSize}|${task}`] ?? [];
  } catch {
    return [];
  }
}

/** Keeps a model's chip times for the next sweep's first estimate. */
export function keepChipTimes(model: string, chipSize: number, task: string, times: number[]): void {
  try {
    const all = JSON.parse(globalThis.localStorage?.getItem(TIMES_KEY) ?? "{}") as Record<string, number[]>;
    all[`${model}|${chipSize}|${task}`] = times;
    globalThis.localStorage?.setItem(TIMES_KEY, JSON.stringify(all));
  } catch {
    // Storage full or disabled: the next estimate waits for the first chips.
  }
}

let previewRun = 0;

/**
 * Keeps the planned sweep in step with what it depends on while the sweep panel plans: the selection, the source,
 * the crop zoom, the form, the model's pixel budget, the model and the task. Returns the function that stops it.
 */
export function followSweepPlan(): () => void {
  const update = () => {
    if (!sweeps().planning) return drawSweepLayers();
    const model = useModelStore.getState();
    void previewSweep(loadedModelOf(model.load) ? modelName() : "", model.task);
  };
  const keyOf = () => {
    const app = useAppStore.getState();
    const model = useModelStore.getState();
    const { planning, form } = sweeps();
    const loaded = loadedModelOf(model.load);
    return [app.selection, currentSource(app), app.cropZoom, model.budget, loaded, model.task, planning, form];
  };
  let last = keyOf();
  const onChange = () => {
    const next = keyOf();
    if (next.every((v, i) => v === last[i])) return;
    last = next;
    update();
  };
  const unsubscribers = [
    useAppStore.subscribe(onChange),
    useModelStore.subscribe(onChange),
    useSweepStore.subscribe(onChange),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}

/**
 * Plans a sweep of the selection with the form's settings and draws its grid on the map, with the number of chips,
 * the pixels and the time it would take at this model's measured rate. Nothing runs.
 */
export async function previewSweep(model: string, task: string): Promise<void> {
  const run = ++previewRun;
  const state = useAppStore.getState();
  const bbox = selectionBBox(state.selection);
  const source = currentSource(state);
  if (!bbox) {
    sweeps().set({ preview: null });
    drawSweepLayers();
    return;
  }
  const { form } = sweeps();
  const sweepSource = await sweepSourceOf(source);
  if (run !== previewRun) return;
  const settings = { ...form, resolution: form.resolution ?? defaultResolution(source, state.cropZoom) };
  const result = planSweep(sweepSource, bbox, settings, { budget: useModelStore.getState().budget });
  const timer = new ChipTimer(earlierChipTimes(model, settings.chipSize, task));
  const estimateSeconds = result.valid ? timer.secondsFor(result.plan.chipCount) : null;
  sweeps().set({ preview: { result, estimateSeconds } });
  drawSweepLayers(result.valid ? planChips(result.plan, imageryRect(sweepSource, result.plan.grid)) : []);
}

/** The rings of a plan's chips, computed once per plan (a sweep's grid is redrawn as chips finish). */
const ringCache = new WeakMap<object, Map<number, number[][]>>();

function chipRing(header: Pick<SweepHeader, "plan">, chip: Chip): number[][] {
  let rings = ringCache.get(header.plan);
  if (!rings) {
    rings = new Map();
    ringCache.set(header.plan, rings);
  }
  let ring = rings.get(chip.index);
  if (!ring) {
    ring = gridRing(header as SweepHeader, chip.rect);
    rings.set(chip.index, ring);
  }
  return ring;
}

/** The chip grid of a plan as polygons, each chip with its state. */
function gridFeatures(
  header: Pick<SweepHeader, "plan">,
  chips: readonly Chip[],
  stateOf: (chip: Chip) => string,
): GeoJSON.FeatureCollection {
  const shown = sweeps().shownChip;
  return {
    type: "FeatureCollection",
    features: chips.map((chip) => ({
      type: "Feature",
      properties: { chip: chip.index, state: stateOf(chip), shown: chip.index === shown },
      geometry: { type: "Polygon", coordinates: [chipRing(header, chip)] },
    })),
  };
}

const empty = (): GeoJSON.FeatureCollection => ({ type: "FeatureCollection", features: [] });

/** What each layer was last drawn from: a layer whose inputs did not change keeps its object (and is not re-sent). */
let drawn: { grid: unknown[]; classes: unknown[]; merged: unknown[] } = { grid: [], classes: [], merged: [] };

function same(previous: unknown[], next: unknown[]): boolean {
  return previous.length === next.length && previous.every((v, i) => v === next[i]);
}

/**
 * Draws what the sweep panel shows: the active sweep's chips (by state), classification grid and merged objects, or
 * else the planned grid of the preview (while the panel is open). Layers whose inputs did not change stay as drawn.
 */
export function drawSweepLayers(planned: readonly Chip[] = []): void {
  const { active, preview, planning, shownChip, merge } = sweeps();
  const layers = useSweepLayers.getState();
  if (active) {
    const { header, records, current } = active;
    const gridKey = [header, records, current, shownChip];
    const classesKey = [header, records];
    const mergedKey = [header, active.merged, merge];
    const stateOf = (chip: Chip) => {
      const record = records.get(chip.index);
      if (record) return record.status;
      if (chip.coverage === "outside") return "outside";
      return chip.index === current ? "running" : "planned";
    };
    const next = {
      grid: same(drawn.grid, gridKey) ? layers.grid : gridFeatures(header, sweepChipsOf(header), stateOf),
      classes: same(drawn.classes, classesKey)
        ? layers.classes
        : header.request.task === "scene_cls"
          ? classificationGrid(header, records.values())
          : empty(),
      merged: same(drawn.merged, mergedKey) ? layers.merged : mergedGeoJson(header, records, active.merged, merge),
    };
    drawn = { grid: gridKey, classes: classesKey, merged: mergedKey };
    if (next.grid !== layers.grid || next.classes !== layers.classes || next.merged !== layers.merged) {
      useSweepLayers.setState(next);
    }
    return;
  }
  drawn = { grid: [], classes: [], merged: [] };
  const plan = planning && preview?.result.valid ? preview.result.plan : null;
  useSweepLayers.setState({
    grid: plan ? gridFeatures({ plan }, planned, (c) => (c.coverage === "outside" ? "outside" : "planned")) : empty(),
    classes: empty(),
    merged: empty(),
  });
}

let layerTimer: ReturnType<typeof setTimeout> | null = null;
let lastRefreshMs = 0;
/** What the merged objects were last merged from. */
let mergedFrom: unknown[] = [];

/**
 * Merges the active sweep's boxes again (when its records or the merge changed) and redraws its layers: at once when
 * asked, else at most every 500 ms and never more often than four times the last refresh took, so the map stays
 * responsive while chips come in.
 */
export function refreshSweepResults(now = false): void {
  if (layerTimer !== null && !now) return;
  if (layerTimer !== null) clearTimeout(layerTimer);
  const run = () => {
    layerTimer = null;
    const active = sweeps().active;
    if (!active) return drawSweepLayers();
    const started = performance.now();
    const from = [active.header, active.records, sweeps().merge];
    if (!same(mergedFrom, from)) {
      mergedFrom = from;
      try {
        const { merged } = mergeRecords(active.header, active.records, sweeps().merge);
        sweeps().updateActive((a) => (a.header.id === active.header.id ? { ...a, merged } : a));
        if (sweeps().error) sweeps().set({ error: null });
      } catch (error) {
        sweeps().set({ error: errorMessage(error) });
      }
    }
    drawSweepLayers();
    lastRefreshMs = performance.now() - started;
  };
  if (now) run();
  else layerTimer = setTimeout(run, Math.max(500, 4 * lastRefreshMs));
}

/** Changes the merge (method, threshold); the merged layer and counts update. */
export function setMerge(merge: Partial<ReturnType<typeof sweeps>["merge"]>): void {
  sweeps().set({ merge: { ...sweeps().merge, ...merge } });
  refreshSweepResults(true);
}

/** Shows one chip: outlined on the map, the view moved to it. */
export function showChip(record: Pick<ChipRecord, "chip" | "rect">): void {
  const active = sweeps().active;
  if (!active) return;
  sweeps().set({ shownChip: record.chip });
  moveMapTo(pixelRectToBBox(active.header.plan.grid.georef, record.rect));
  drawSweepLayers();
}

/** The base name of a sweep's exports: `geozero-sweep-<id>`. */
export function sweepFileName(header: SweepHeader, suffix: string): string {
  return `geozero-sweep-${header.id}${suffix}`;
}

/** Saves the merged objects as GeoJSON (label, source chips and their answers per object). */
export function exportMerged(): void {
  const active = sweeps().active;
  if (!active) return;
  const { merge } = sweeps();
  downloadGeoJson(
    mergedGeoJson(active.header, active.records, active.merged, merge),
    sweepFileName(active.header, ".geojson"),
  );
}

/** Saves the chip records as JSONL (the header, then a record per chip), as `npm run sweep` writes them. */
export function exportRecords(): void {
  const active = sweeps().active;
  if (!active) return;
  const text = recordsJsonl(active.header, active.records.values());
  downloadBlob(new Blob([text], { type: "application/x-ndjson" }), sweepFileName(active.header, ".jsonl"));
}

/** Saves the counts per label as CSV. */
export function exportCounts(): void {
  const active = sweeps().active;
  if (!active) return;
  downloadBlob(new Blob([countsCsv(active.merged)], { type: "text/csv" }), sweepFileName(active.header, "-counts.csv"));
}

/** Saves the classification grid as GeoJSON polygons, each chip with its class. */
export function exportClassGrid(): void {
  const active = sweeps().active;
  if (!active) return;
  downloadGeoJson(
    classificationGrid(active.header, active.records.values()),
    sweepFileName(active.header, "-classes.geojson"),
  );
}
