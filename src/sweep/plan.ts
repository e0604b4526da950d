/**
 * A sweep's plan: the selection cut into square chips with overlap, in the pixel grid the crop code reads (Web
 * Mercator global pixels at a zoom for tile sources, a raster's own pixels at a level for a GeoTIFF). Pure and
 * deterministic: the browser, `npm run sweep` and every shard of it plan the same chips from the same input.
 */
import type { Crs } from "../geo/crs-types";
import { type AffineTransform, type GeoReference, groundSampleDistance, pixelRectToBBox } from "../geo/georef";
import { lngLatToWorldPixel, MERCATOR_HALF_WORLD_M, worldSizePx } from "../geo/mercator";
import { type BBox, bboxToPixelWindow, lngSpan } from "../geo/tiles";
import type { RasterInfo } from "../imagery/raster/open-raster";
import { rasterSelectionWindow } from "../imagery/raster/raster-crop-plan";
import { DEFAULT_PIXEL_BUDGET, modelInputFor, type PixelBudget } from "../tasks/model-input-size";

/** `[left, top, right, bottom]` in a grid's pixels. */
export type PixelRect = [number, number, number, number];

/**
 * The pixel grid chips are cut from, as data: Web Mercator global pixels at a zoom, or a raster's pixels at a level
 * (its size and its pixel → CRS transform). `georef` maps the grid's pixels to its CRS.
 */
export type SweepGrid =
  | { kind: "mercator"; zoom: number; tileSize: number; georef: GeoReference }
  | { kind: "raster"; level: number; georef: GeoReference & { crs: Crs } };

/** What the user asks of a plan. */
export interface SweepSettings {
  /** Zoom for a tile source, level for a raster (0 = full resolution). */
  resolution: number;
  /** Side of a chip in pixels: a multiple of 32 the model sees without resizing. */
  chipSize: number;
  /** Fraction of a chip shared with its neighbour, 0 ≤ overlap ≤ 0.75. */
  overlap: number;
}

/** The defaults the issue names: 448 px chips, 15 % overlap. */
export const DEFAULT_SWEEP_SETTINGS = { chipSize: 448, overlap: 0.15 } as const;

/** Plans with more chips than this are refused unless the caller raises it. */
export const DEFAULT_MAX_CHIPS = 5000;

/** Where the chips are cut from: a tile source's tile pyramid or an opened raster. */
export type SweepSource =
  | { kind: "tiles"; tileSize: number; maxZoom: number /** The area the source has imagery for. */; extent?: BBox }
  | { kind: "raster"; info: Pick<RasterInfo, "name" | "levels" | "georef" | "bbox"> };

/** One chip: its place in the lattice, its pixels in the grid, its area in degrees and whether imagery covers it. */
export interface Chip {
  index: number;
  row: number;
  col: number;
  /** The chip's pixels in the grid (a raster's chips are clipped to the raster). */
  rect: PixelRect;
  bbox: BBox;
  /** `outside`: no imagery under it, skipped and counted; `partial`: clipped to the raster's edge. */
  coverage: "full" | "partial" | "outside";
}

/** A plan: the grid, the lattice of chips over the selection, and the numbers the user decides on. */
export interface SweepPlan {
  grid: SweepGrid;
  settings: SweepSettings;
  /** The selection's pixels in the grid. */
  selection: PixelRect;
  overlapPx: number;
  stride: number;
  cols: number;
  rows: number;
  /** Top-left pixel of chip 0 (row 0, column 0). */
  origin: [number, number];
  /** Chips the model will be asked about (those with imagery under them). */
  chipCount: number;
  /** Chips with no imagery under them: skipped and counted. */
  outsideCount: number;
  /** Pixels the model sees over the whole sweep. */
  pixels: number;
  /** Ground metres per pixel at the grid's centre. */
  gsd: number;
}

/** Why a plan is refused, as data. */
export type SweepProblem =
  | { kind: "chip-size"; chipSize: number }
  | { kind: "overlap"; overlap: number }
  | { kind: "no-height" }
  | { kind: "resolution"; resolution: number; finest: number; coarsest: number }
  | { kind: "no-imagery" }
  | { kind: "too-many"; chips: number; limit: number };

/** A plan, or why not, with the nearest settings that fit when the plan is too large. */
export type SweepPlanResult =
  | { valid: true; plan: SweepPlan }
  | { valid: false; problem: SweepProblem; reason: string; nearest: { settings: SweepSettings; chips: number } | null };

/** Plans the chips of a selection from a source, refusing a plan over `maxChips` with the nearest one that fits. */
export function planSweep(
  source: SweepSource,
  bbox: BBox,
  settings: SweepSettings,
  { maxChips = DEFAULT_MAX_CHIPS, budget = DEFAULT_PIXEL_BUDGET }: { maxChips?: number; budget?: PixelBudget } = {},
): SweepPlanResult {
  const checked = checkSettings(source, bbox, settings, budget);
  if (checked) return { valid: false, ...checked, nearest: null };
  const plan = latticeFor(source, bbox, settings);
  if (!plan) return refusal({ kind: "no-imagery" }, noImageryText(source));
  if (plan.chipCount === 0) return refusal({ kind: "no-imagery" }, noImageryText(source));
  if (plan.chipCount <= maxChips) return { valid: true, plan };
  const nearest = nearestFitting(source, bbox, settings, maxChips);
  return {
    valid: false,
    problem: { kind: "too-many", chips: plan.chipCount, limit: maxChips },
    reason: tooManyText(plan, maxChips, source, nearest),
    nearest,
  };
}

function refusal(problem: SweepProblem, reason: string): SweepPlanResult {
  return { valid: false, problem, reason, nearest: null };
}

function checkSettings(
  source: SweepSource,
  bbox: BBox,
  { resolution, chipSize, overlap }: SweepSettings,
  budget: PixelBudget,
): { problem: SweepProblem; reason: string } | null {
  if (!Number.isInteger(chipSize) || chipSize % 32 !== 0 || chipSize <= 0 || !seenUnresized(chipSize, budget)) {
    const largest = Math.floor(Math.sqrt(budget.maxPixels) / 32) * 32;
    const smallest = Math.ceil(Math.sqrt(budget.minPixels) / 32) * 32;
    return {
      problem: { kind: "chip-size", chipSize },
      reason: `A chip of ${chipSize} px is not one the model sees unresized: choose a multiple of 32 from ${smallest} to ${largest} px (the pixel budget's limits).`,
    };
  }
  if (!Number.isFinite(overlap) || overlap < 0 || overlap > 0.75) {
    return {
      problem: { kind: "overlap", overlap },
      reason: `An overlap of ${overlap} is outside 0 to 0.75 (0 % to 75 % of a chip); 0.15 is usual.`,
    };
  }
  if (bbox.north <= bbox.south) {
    return {
      problem: { kind: "no-height" },
      reason: "The selection has no height: draw a rectangle with a north edge above its south edge.",
    };
  }
  const [finest, coarsest] = resolutionRange(source);
  const inRange = Number.isInteger(resolution) && resolution >= Math.min(finest, coarsest);
  if (!inRange || resolution > Math.max(finest, coarsest)) {
    return {
      problem: { kind: "resolution", resolution, finest, coarsest },
      reason:
        source.kind === "raster"
          ? `Level ${resolution} does not exist: ${source.info.name} has levels 0 (full resolution) to ${coarsest}.`
          : `Zoom ${resolution} is not an integer from 0 to ${finest}, the source's finest zoom.`,
    };
  }
  return null;
}

function seenUnresized(chipSize: number, budget: PixelBudget): boolean {
  try {
    return modelInputFor(chipSize, chipSize, budget).exact;
  } catch {
    return false;
  }
}

/** [finest, coarsest]: zooms run from the source's maximum down to 0, raster levels from 0 up to the last overview. */
function resolutionRange(source: SweepSource): [number, number] {
  return source.kind === "raster" ? [0, source.info.levels.length - 1] : [source.maxZoom, 0];
}

/** The grid of a source at a resolution, and the selection's pixels in it; null where the selection misses a raster. */
function gridAndSelection(source: SweepSource, bbox: BBox, resolution: number): [SweepGrid, PixelRect] | null {
  if (source.kind === "tiles") {
    const window = bboxToPixelWindow(bbox, resolution, source.tileSize);
    const grid = mercatorGrid(resolution, source.tileSize);
    return [grid, [window.left, window.top, window.left + window.width, window.top + window.height]];
  }
  const window = rasterSelectionWindow(source.info, bbox, resolution);
  return window ? [rasterGrid(source.info, resolution), window] : null;
}

/** Web Mercator's global pixel grid at a zoom. */
export function mercatorGrid(zoom: number, tileSize = 256): SweepGrid {
  const metresPerPixel = (2 * MERCATOR_HALF_WORLD_M) / worldSizePx(zoom, tileSize);
  const world = worldSizePx(zoom, tileSize);
  const transform: AffineTransform = [
    -MERCATOR_HALF_WORLD_M,
    metresPerPixel,
    0,
    MERCATOR_HALF_WORLD_M,
    0,
    -metresPerPixel,
  ];
  return { kind: "mercator", zoom, tileSize, georef: { width: world, height: world, transform } };
}

/** A raster's own pixel grid at a level: its transform scaled by the level's factor. */
export function rasterGrid(info: Pick<RasterInfo, "levels" | "georef">, level: number): SweepGrid {
  const [x0, dx, rx, y0, ry, dy] = info.georef.transform;
  const { width, height } = info.levels[level];
  const fx = info.levels[0].width / width;
  const fy = info.levels[0].height / height;
  const transform: AffineTransform = [x0, dx * fx, rx * fy, y0, ry * fx, dy * fy];
  return { kind: "raster", level, georef: { width, height, transform, crs: info.georef.crs } };
}

/** How many chips of `chip` px at `stride` cover `length` px: the fewest whose span reaches it. */
function chipsAlong(length: number, chip: number, stride: number): number {
  return length <= chip ? 1 : Math.ceil((length - chip) / stride) + 1;
}

/**
 * Where the lattice starts along one axis: centred on the selection and, when the selection lies within an edge that
 * ends the imagery (a raster's), moved inside it as far as the lattice fits. A selection reaching past the edge keeps
 * the centred lattice: its chips beyond are skipped and counted.
 */
function startAlong(start: number, length: number, span: number, limit: number | null): number {
  const centred = start - Math.floor((span - length) / 2);
  if (limit === null || span > limit || start < 0 || start + length > limit) return centred;
  return Math.min(Math.max(0, centred), limit - span);
}

function latticeFor(source: SweepSource, bbox: BBox, settings: SweepSettings): SweepPlan | null {
  const placed = gridAndSelection(source, bbox, settings.resolution);
  if (!placed) return null;
  const [grid, selection] = placed;
  const { chipSize } = settings;
  const overlapPx = Math.round(chipSize * settings.overlap);
  const stride = chipSize - overlapPx;
  const cols = chipsAlong(selection[2] - selection[0], chipSize, stride);
  const rows = chipsAlong(selection[3] - selection[1], chipSize, stride);
  // Columns of the Mercator world wrap around the antimeridian; its rows and a raster's edges end.
  const columnLimit = grid.kind === "raster" ? grid.georef.width : null;
  const origin: [number, number] = [
    startAlong(selection[0], selection[2] - selection[0], (cols - 1) * stride + chipSize, columnLimit),
    startAlong(selection[1], selection[3] - selection[1], (rows - 1) * stride + chipSize, grid.georef.height),
  ];
  const plan: SweepPlan = {
    grid,
    settings,
    selection,
    overlapPx,
    stride,
    cols,
    rows,
    origin,
    chipCount: 0,
    outsideCount: 0,
    pixels: 0,
    gsd: groundSampleDistance({ ...grid.georef, ...centredWindow(grid, selection) }),
  };
  const extent = imageryRect(source, grid);
  let outside = 0;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      if (!intersects(latticeRect(plan, row, col), extent)) outside++;
    }
  }
  plan.outsideCount = outside;
  plan.chipCount = rows * cols - outside;
  plan.pixels = plan.chipCount * chipSize * chipSize;
  return plan;
}

/** The grid's georeference moved to the selection, so the GSD is measured at its centre. */
function centredWindow(grid: SweepGrid, [l, t, r, b]: PixelRect): Pick<GeoReference, "width" | "height" | "transform"> {
  const [x0, dx, rx, y0, ry, dy] = grid.georef.transform;
  return { width: r - l, height: b - t, transform: [x0 + l * dx + t * rx, dx, rx, y0 + l * ry + t * dy, ry, dy] };
}

/** The pixels of the source's imagery in the grid: a raster's whole level, a tile source's extent, or null (all). */
export function imageryRect(source: SweepSource, grid: SweepGrid): PixelRect | null {
  if (grid.kind === "raster") return [0, 0, grid.georef.width, grid.georef.height];
  if (source.kind !== "tiles" || !source.extent) return null;
  const { extent } = source;
  const [west, north] = lngLatToWorldPixel([extent.west, extent.north], grid.zoom, grid.tileSize);
  const [east, south] = lngLatToWorldPixel([extent.west + lngSpan(extent), extent.south], grid.zoom, grid.tileSize);
  return [west, north, east, south];
}

function intersects(rect: PixelRect, extent: PixelRect | null): boolean {
  if (!extent) return true;
  return rect[0] < extent[2] && rect[2] > extent[0] && rect[1] < extent[3] && rect[3] > extent[1];
}

function latticeRect(plan: Pick<SweepPlan, "origin" | "stride" | "settings">, row: number, col: number): PixelRect {
  const left = plan.origin[0] + col * plan.stride;
  const top = plan.origin[1] + row * plan.stride;
  return [left, top, left + plan.settings.chipSize, top + plan.settings.chipSize];
}

/**
 * Every chip of a plan, row by row (index = row × cols + col), each with its coverage. Chips outside the imagery keep
 * their index so that a plan's indices, and a shard's range of them, never depend on the source's extent.
 */
export function planChips(plan: SweepPlan, extent: PixelRect | null = rasterExtentOf(plan)): Chip[] {
  const chips: Chip[] = [];
  for (let row = 0; row < plan.rows; row++) {
    for (let col = 0; col < plan.cols; col++) chips.push(chipAt(plan, row * plan.cols + col, extent));
  }
  return chips;
}

/** The imagery's pixels in the plan's grid when it is a raster's (its edge clips the chips), else null. */
function rasterExtentOf(plan: SweepPlan): PixelRect | null {
  return plan.grid.kind === "raster" ? [0, 0, plan.grid.georef.width, plan.grid.georef.height] : null;
}

/** One chip by index; `extent` (the imagery's pixels, when known) decides its coverage and clips a raster's chip. */
export function chipAt(plan: SweepPlan, index: number, extent: PixelRect | null = rasterExtentOf(plan)): Chip {
  if (!Number.isInteger(index) || index < 0 || index >= plan.rows * plan.cols) {
    throw new RangeError(
      `Chip ${index} is not in this plan of ${plan.rows * plan.cols} chips (0 to ${plan.rows * plan.cols - 1}).`,
    );
  }
  const row = Math.floor(index / plan.cols);
  const col = index % plan.cols;
  const full = latticeRect(plan, row, col);
  let rect = full;
  let coverage: Chip["coverage"] = "full";
  if (extent && !intersects(full, extent)) coverage = "outside";
  else if (extent && plan.grid.kind === "raster") {
    rect = [
      Math.max(full[0], extent[0]),
      Math.max(full[1], extent[1]),
      Math.min(full[2], extent[2]),
      Math.min(full[3], extent[3]),
    ];
    if (rect.some((v, i) => v !== full[i])) coverage = "partial";
  }
  return { index, row, col, rect, bbox: pixelRectToBBox(plan.grid.georef, rect), coverage };
}

/** The georeference of a rectangle of a grid's pixels (a chip's): the grid's transform moved to its corner. */
export function rectGeoref(grid: SweepGrid, [l, t, r, b]: PixelRect): GeoReference {
  const { transform, crs } = grid.georef;
  const [x0, dx, rx, y0, ry, dy] = transform;
  return {
    width: r - l,
    height: b - t,
    transform: [x0 + l * dx + t * rx, dx, rx, y0 + l * ry + t * dy, ry, dy],
    ...(crs ? { crs } : {}),
  };
}

/** The first chip index of shard `shard` of `count` over `total` chips; shard `count` gives `total`. */
function shardStart(shard: number, count: number, total: number): number {
  return Math.floor((shard * total) / count);
}

/** A shard as data: `--shard i/n`, or Kubernetes' JOB_COMPLETION_INDEX of a Job of n completions. */
export interface Shard {
  index: number;
  count: number;
}

/** The chip indices [start, end) of a shard: consecutive ranges that together cover every chip once. */
export function shardRange({ index, count }: Shard, total: number): [number, number] {
  return [shardStart(index, count, total), shardStart(index + 1, count, total)];
}

/** A shard from `i/n` text, or why not (an index beyond the count, not numbers). */
export function parseShard(text: string): { valid: true; shard: Shard } | { valid: false; reason: string } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return { valid: false, reason: `--shard "${text}" is not i/n (e.g. 0/3, the first of three shards).` };
  return checkShard(Number(match[1]), Number(match[2]));
}

/** A shard from its index and count, refused when the index is not below the count. */
export function checkShard(
  index: number,
  count: number,
): { valid: true; shard: Shard } | { valid: false; reason: string } {
  if (!Number.isInteger(count) || count < 1) {
    return { valid: false, reason: `A sweep split into ${count} shards is not possible; the count must be 1 or more.` };
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    return {
      valid: false,
      reason: `Shard index ${index} is beyond the count of ${count}: shards are numbered 0 to ${count - 1}.`,
    };
  }
  return { valid: true, shard: { index, count } };
}

function noImageryText(source: SweepSource): string {
  return source.kind === "raster"
    ? `The selection lies outside ${source.info.name}; select an area over the raster.`
    : "The selection lies outside the source's imagery; select an area where the map shows imagery.";
}

function resolutionText(source: SweepSource, resolution: number): string {
  return source.kind === "raster" ? `level ${resolution}` : `zoom ${resolution}`;
}

/** The coarser resolutions of a source, nearest first. */
function coarserResolutions(source: SweepSource, resolution: number): number[] {
  const [, coarsest] = resolutionRange(source);
  const steps: number[] = [];
  if (source.kind === "raster") for (let r = resolution + 1; r <= coarsest; r++) steps.push(r);
  else for (let r = resolution - 1; r >= coarsest; r--) steps.push(r);
  return steps;
}

/** The same chips and overlap at the finest coarser resolution whose plan fits, or null when none does. */
function nearestFitting(
  source: SweepSource,
  bbox: BBox,
  settings: SweepSettings,
  maxChips: number,
): { settings: SweepSettings; chips: number } | null {
  for (const resolution of coarserResolutions(source, settings.resolution)) {
    const plan = latticeFor(source, bbox, { ...settings, resolution });
    if (plan && plan.chipCount > 0 && plan.chipCount <= maxChips) {
      return { settings: { ...settings, resolution }, chips: plan.chipCount };
    }
  }
  return null;
}

function tooManyText(
  plan: SweepPlan,
  maxChips: number,
  source: SweepSource,
  nearest: { settings: SweepSettings; chips: number } | null,
): string {
  const { settings, selection } = plan;
  const head =
    `The selection is ${selection[2] - selection[0]} × ${selection[3] - selection[1]} px at ${resolutionText(source, settings.resolution)}: ` +
    `${plan.chipCount} chips of ${settings.chipSize} px with ${Math.round(settings.overlap * 100)} % overlap (${plan.cols} × ${plan.rows}), ` +
    `over the limit of ${maxChips}.`;
  if (!nearest)
    return `${head} Select an area about ${Math.sqrt(plan.chipCount / maxChips).toFixed(1)}× smaller on each side.`;
  return `${head} Nearest plan that fits: ${resolutionText(source, nearest.settings.resolution)}, ${nearest.chips} chips; or select a smaller area.`;
}
