/**
 * Merges the boxes of a sweep's chips into one box per object, in the plan's grid pixels (Web Mercator global
 * pixels or a raster's own pixels at the sweep's level: one planar, axis-aligned frame for every chip).
 *
 * Two stages, both by IoU and within one label:
 *
 *   chips' boxes ──► 1. stitch: parts of an object cut by chip edges ──► 2. NMS or WBF: duplicates ──► merged
 *
 * 1. An object cut by a chip's edge shows in each chip only as the part inside it. Two boxes of different chips are
 *    parts of one object when at least one of them touches its chip's edge (is cut) and, in the region both chips
 *    saw, they cover the same pixels: their IoU after clipping both to the chips' common rectangle reaches the
 *    threshold. Such parts are joined (transitively, so a corner object seen in four chips becomes one) into the
 *    box of their union. Two distinct objects that touch do not cover the same pixels in the common region, so they
 *    stay two.
 * 2. Whole boxes seen twice in an overlap are duplicates: non-maximum suppression keeps the best of each group with
 *    IoU ≥ threshold (boxes away from chip edges first), weighted box fusion averages their corners.
 */
import type { PixelRect } from "./plan";

/** One box a chip's answer gave, in the grid's pixels. */
export interface SweepBox {
  box: PixelRect;
  label: string;
  chip: number;
  /** The chip's pixels in the grid. */
  chipRect: PixelRect;
}

/** How duplicates are merged. */
export type MergeMethod = "nms" | "wbf";

/** What the merged layer depends on; shown and adjustable in the app, flags of `npm run sweep`. */
export interface MergeOptions {
  method: MergeMethod;
  /** IoU at or above which two boxes are one object, 0 < t ≤ 1. */
  iouThreshold: number;
  /** A box within this many pixels of its chip's edge counts as cut by it. */
  edgeTolerance?: number;
}

export const DEFAULT_MERGE: MergeOptions = { method: "nms", iouThreshold: 0.5, edgeTolerance: 2 };

/** One merged object. */
export interface MergedBox {
  box: PixelRect;
  label: string;
  /** The chips whose boxes made it, ascending. */
  chips: number[];
  /** How many chip boxes it merges. */
  parts: number;
  /** 1 for a box seen whole, 0.5 for one still cut by a chip's edge; WBF averages. */
  score: number;
}

/** The key boxes are grouped by: labels compared without case or surrounding space. */
export function labelKey(label: string): string {
  return label.trim().toLowerCase();
}

/** IoU of two rectangles; 0 when either is empty. */
export function iou(a: PixelRect, b: PixelRect): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (area(a) + area(b) - inter);
}

function area(r: PixelRect): number {
  return Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
}

function isCut(box: PixelRect, chip: PixelRect, tolerance: number): boolean {
  return (
    box[0] - chip[0] <= tolerance ||
    box[1] - chip[1] <= tolerance ||
    chip[2] - box[2] <= tolerance ||
    chip[3] - box[3] <= tolerance
  );
}

/** Boxes as flat arrays (corners, label ids, chips), so 100,000 of them merge without an object per pair. */
interface BoxTable {
  n: number;
  /** x1, y1, x2, y2 per box */
  rect: Float64Array;
  label: Int32Array;
  /** which label each id stands for: the first label written for its key */
  labels: string[];
}

/** IoU of boxes `i` and `j` of flat corner arrays, each clipped to `[l, t, r, b]` first (pass ±Infinity not to clip). */
function clippedIou(
  a: Float64Array,
  i: number,
  b: Float64Array,
  j: number,
  l: number,
  t: number,
  r: number,
  bt: number,
) {
  const ax1 = Math.max(a[4 * i], l);
  const ay1 = Math.max(a[4 * i + 1], t);
  const ax2 = Math.min(a[4 * i + 2], r);
  const ay2 = Math.min(a[4 * i + 3], bt);
  const bx1 = Math.max(b[4 * j], l);
  const by1 = Math.max(b[4 * j + 1], t);
  const bx2 = Math.min(b[4 * j + 2], r);
  const by2 = Math.min(b[4 * j + 3], bt);
  const w = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const h = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (w <= 0 || h <= 0 || ax2 <= ax1 || ay2 <= ay1 || bx2 <= bx1 || by2 <= by1) return 0;
  const inter = w * h;
  return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter);
}

/**
 * A static uniform grid over boxes: each box is listed once, in the cell of its top-left corner (cells as in a
 * compressed sparse row table), so the boxes that may meet a rectangle lie in the cells from its corner minus the
 * largest box's size to its far corner.
 */
class CellIndex {
  private readonly size: number;
  private readonly x0: number;
  private readonly y0: number;
  private readonly columns: number;
  private readonly rows: number;
  private readonly start: Int32Array;
  private readonly ids: Int32Array;
  private readonly reachX: number;
  private readonly reachY: number;

  constructor(rect: Float64Array, n: number) {
    let [minX, minY, maxX, maxY, reachX, reachY] = [Infinity, Infinity, -Infinity, -Infinity, 0, 0];
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, rect[4 * i]);
      minY = Math.min(minY, rect[4 * i + 1]);
      maxX = Math.max(maxX, rect[4 * i + 2]);
      maxY = Math.max(maxY, rect[4 * i + 3]);
      reachX = Math.max(reachX, rect[4 * i + 2] - rect[4 * i]);
      reachY = Math.max(reachY, rect[4 * i + 3] - rect[4 * i + 1]);
    }
    // Cells about the size of a typical box, but no more than a few million of them.
    const typical = Math.max(8, Math.min(reachX, reachY, 64));
    const spanCells = ((maxX - minX) * (maxY - minY)) / (typical * typical);
    this.size = spanCells > 4e6 ? typical * Math.sqrt(spanCells / 4e6) : typical;
    this.x0 = minX;
    this.y0 = minY;
    this.columns = Math.floor((maxX - minX) / this.size) + 1;
    this.rows = Math.floor((maxY - minY) / this.size) + 1;
    this.reachX = reachX;
    this.reachY = reachY;
    const cellOf = new Int32Array(n);
    this.start = new Int32Array(this.columns * this.rows + 1);
    for (let i = 0; i < n; i++) {
      cellOf[i] = this.cell(rect[4 * i], rect[4 * i + 1]);
      this.start[cellOf[i] + 1]++;
    }
    for (let c = 0; c < this.columns * this.rows; c++) this.start[c + 1] += this.start[c];
    const fill = this.start.slice(0, -1);
    this.ids = new Int32Array(n);
    for (let i = 0; i < n; i++) this.ids[fill[cellOf[i]]++] = i;
  }

  private cell(x: number, y: number): number {
    return Math.floor((y - this.y0) / this.size) * this.columns + Math.floor((x - this.x0) / this.size);
  }

  /** Calls `visit` with every box that may meet the rectangle (each once). */
  near(x1: number, y1: number, x2: number, y2: number, visit: (id: number) => void): void {
    const cx1 = Math.max(0, Math.floor((x1 - this.reachX - this.x0) / this.size));
    const cy1 = Math.max(0, Math.floor((y1 - this.reachY - this.y0) / this.size));
    const cx2 = Math.min(this.columns - 1, Math.floor((x2 - this.x0) / this.size));
    const cy2 = Math.min(this.rows - 1, Math.floor((y2 - this.y0) / this.size));
    for (let cy = cy1; cy <= cy2; cy++) {
      for (let cx = cx1; cx <= cx2; cx++) {
        const c = cy * this.columns + cx;
        for (let k = this.start[c]; k < this.start[c + 1]; k++) visit(this.ids[k]);
      }
    }
  }
}

/** Union-find over box indices. */
class Groups {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  root(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r];
    while (this.parent[i] !== r) {
      const next = this.parent[i];
      this.parent[i] = r;
      i = next;
    }
    return r;
  }
  join(a: number, b: number): void {
    const [ra, rb] = [this.root(a), this.root(b)];
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/** Label ids in sorted order of their keys, so results sort by label by id. */
function labelIds(boxes: readonly SweepBox[]): { label: Int32Array; labels: string[] } {
  const firstLabel = new Map<string, string>();
  for (const b of boxes) {
    const key = labelKey(b.label);
    if (!firstLabel.has(key)) firstLabel.set(key, b.label);
  }
  const keys = [...firstLabel.keys()].sort();
  const idOf = new Map(keys.map((k, i) => [k, i]));
  const label = Int32Array.from(boxes, (b) => idOf.get(labelKey(b.label)) ?? 0);
  return { label, labels: keys.map((k) => firstLabel.get(k) ?? k) };
}

/** Stitched boxes: the union of each group of parts, its chips, parts and score. */
interface Stitched extends BoxTable {
  score: Float64Array;
  parts: Int32Array;
  chips: number[][];
}

/** Stage 1: joins the parts of objects cut by chip edges into one box each. */
function stitch(boxes: readonly SweepBox[], options: MergeOptions): Stitched {
  const n = boxes.length;
  const tolerance = options.edgeTolerance ?? 2;
  const rect = new Float64Array(4 * n);
  const chipRect = new Float64Array(4 * n);
  const cut = new Uint8Array(n);
  boxes.forEach((b, i) => {
    rect.set(b.box, 4 * i);
    chipRect.set(b.chipRect, 4 * i);
    cut[i] = isCut(b.box, b.chipRect, tolerance) ? 1 : 0;
  });
  const { label, labels } = labelIds(boxes);
  const index = new CellIndex(rect, n);
  const groups = new Groups(n);
  const threshold = options.iouThreshold;
  for (let i = 0; i < n; i++) {
    if (!cut[i]) continue;
    const chip = boxes[i].chip;
    index.near(rect[4 * i], rect[4 * i + 1], rect[4 * i + 2], rect[4 * i + 3], (j) => {
      if ((cut[j] && j < i) || label[j] !== label[i] || boxes[j].chip === chip) return;
      // The rectangle both chips saw.
      const l = Math.max(chipRect[4 * i], chipRect[4 * j]);
      const t = Math.max(chipRect[4 * i + 1], chipRect[4 * j + 1]);
      const r = Math.min(chipRect[4 * i + 2], chipRect[4 * j + 2]);
      const b = Math.min(chipRect[4 * i + 3], chipRect[4 * j + 3]);
      if (clippedIou(rect, i, rect, j, l, t, r, b) >= threshold) groups.join(i, j);
    });
  }
  const slot = new Int32Array(n).fill(-1);
  const out = {
    rect: [] as number[],
    label: [] as number[],
    score: [] as number[],
    parts: [] as number[],
    chips: [] as number[][],
  };
  for (let i = 0; i < n; i++) {
    const root = groups.root(i);
    let g = slot[root];
    if (g < 0) {
      g = slot[root] = out.label.length;
      out.rect.push(rect[4 * i], rect[4 * i + 1], rect[4 * i + 2], rect[4 * i + 3]);
      out.label.push(label[i]);
      out.score.push(cut[i] ? 0.5 : 1);
      out.parts.push(1);
      out.chips.push([boxes[i].chip]);
      continue;
    }
    out.rect[4 * g] = Math.min(out.rect[4 * g], rect[4 * i]);
    out.rect[4 * g + 1] = Math.min(out.rect[4 * g + 1], rect[4 * i + 1]);
    out.rect[4 * g + 2] = Math.max(out.rect[4 * g + 2], rect[4 * i + 2]);
    out.rect[4 * g + 3] = Math.max(out.rect[4 * g + 3], rect[4 * i + 3]);
    out.score[g] = 1;
    out.parts[g] += 1;
    out.chips[g].push(boxes[i].chip);
  }
  return {
    n: out.label.length,
    rect: Float64Array.from(out.rect),
    label: Int32Array.from(out.label),
    labels,
    score: Float64Array.from(out.score),
    parts: Int32Array.from(out.parts),
    chips: out.chips,
  };
}

/** Box ids in the order they are considered: best score, then larger, then by place (deterministic for equals). */
function preferenceOrder(s: Stitched): Int32Array {
  const areas = new Float64Array(s.n);
  for (let i = 0; i < s.n; i++)
    areas[i] = (s.rect[4 * i + 2] - s.rect[4 * i]) * (s.rect[4 * i + 3] - s.rect[4 * i + 1]);
  return Int32Array.from({ length: s.n }, (_, i) => i).sort(
    (a, b) =>
      s.score[b] - s.score[a] ||
      areas[b] - areas[a] ||
      s.rect[4 * a + 1] - s.rect[4 * b + 1] ||
      s.rect[4 * a] - s.rect[4 * b] ||
      s.chips[a][0] - s.chips[b][0],
  );
}

function mergedOf(s: Stitched, i: number, rect: Float64Array = s.rect): MergedBox {
  return {
    box: [rect[4 * i], rect[4 * i + 1], rect[4 * i + 2], rect[4 * i + 3]],
    label: s.labels[s.label[i]],
    chips: s.chips[i],
    parts: s.parts[i],
    score: s.score[i],
  };
}

/** Stage 2 by non-maximum suppression: the preferred box of each overlapping group stays, taking the others' chips. */
function suppress(s: Stitched, threshold: number): MergedBox[] {
  const order = preferenceOrder(s);
  const rank = new Int32Array(s.n);
  order.forEach((id, k) => {
    rank[id] = k;
  });
  const index = new CellIndex(s.rect, s.n);
  const suppressed = new Uint8Array(s.n);
  const kept: MergedBox[] = [];
  for (const i of order) {
    if (suppressed[i]) continue;
    const keeper = mergedOf(s, i);
    keeper.chips = [...keeper.chips];
    kept.push(keeper);
    index.near(s.rect[4 * i], s.rect[4 * i + 1], s.rect[4 * i + 2], s.rect[4 * i + 3], (j) => {
      if (suppressed[j] || rank[j] <= rank[i] || s.label[j] !== s.label[i]) return;
      if (clippedIou(s.rect, i, s.rect, j, -Infinity, -Infinity, Infinity, Infinity) < threshold) return;
      suppressed[j] = 1;
      keeper.chips.push(...s.chips[j]);
      keeper.parts += s.parts[j];
    });
  }
  return kept;
}

/**
 * Stage 2 by weighted box fusion: in preference order each box joins the cluster (of a box before it) whose fused box
 * it overlaps most, at IoU ≥ threshold, and the cluster's corners become the score-weighted mean of its boxes'.
 */
function fuse(s: Stitched, threshold: number): MergedBox[] {
  const order = preferenceOrder(s);
  const index = new CellIndex(s.rect, s.n);
  const clusterOf = new Int32Array(s.n).fill(-1);
  const fused = new Float64Array(4 * s.n);
  const sums: number[][] = [];
  const members: number[][] = [];
  for (const i of order) {
    let best = -1;
    let bestIou = threshold;
    index.near(s.rect[4 * i], s.rect[4 * i + 1], s.rect[4 * i + 2], s.rect[4 * i + 3], (j) => {
      const c = clusterOf[j];
      if (c < 0 || s.label[j] !== s.label[i]) return;
      const overlap = clippedIou(fused, c, s.rect, i, -Infinity, -Infinity, Infinity, Infinity);
      if (overlap > bestIou || (overlap === bestIou && (best < 0 || c < best))) {
        best = c;
        bestIou = overlap;
      }
    });
    const w = s.score[i];
    const c = best >= 0 ? best : members.length;
    if (best < 0) {
      sums.push([0, 0, 0, 0, 0]);
      members.push([]);
    }
    clusterOf[i] = c;
    members[c].push(i);
    const sum = sums[c];
    for (let k = 0; k < 4; k++) sum[k] += s.rect[4 * i + k] * w;
    sum[4] += w;
    for (let k = 0; k < 4; k++) fused[4 * c + k] = sum[k] / sum[4];
  }
  return members.map((ids, c) => {
    const parts = ids.reduce((n, i) => n + s.parts[i], 0);
    return {
      box: [fused[4 * c], fused[4 * c + 1], fused[4 * c + 2], fused[4 * c + 3]],
      label: s.labels[s.label[ids[0]]],
      chips: ids.flatMap((i) => s.chips[i]),
      parts,
      score: ids.reduce((sum, i) => sum + s.score[i] * s.parts[i], 0) / parts,
    };
  });
}

/**
 * Merges chip boxes into objects: cut parts joined, then duplicates suppressed (NMS) or fused (WBF). The result is
 * deterministic for the same boxes in any order, sorted by label, then top to bottom, left to right.
 */
export function mergeBoxes(boxes: readonly SweepBox[], options: MergeOptions = DEFAULT_MERGE): MergedBox[] {
  if (!(options.iouThreshold > 0 && options.iouThreshold <= 1)) {
    throw new RangeError(`An IoU threshold of ${options.iouThreshold} is outside (0, 1]; 0.5 is usual.`);
  }
  if (boxes.length === 0) return [];
  const stitched = stitch(boxes, options);
  const merged =
    options.method === "wbf" ? fuse(stitched, options.iouThreshold) : suppress(stitched, options.iouThreshold);
  const keys = new Map(stitched.labels.map((l, i) => [l, i]));
  for (const m of merged) m.chips = [...new Set(m.chips)].sort((a, b) => a - b);
  return merged.sort(
    (a, b) =>
      (keys.get(a.label) ?? 0) - (keys.get(b.label) ?? 0) ||
      a.box[1] - b.box[1] ||
      a.box[0] - b.box[0] ||
      a.box[3] - b.box[3] ||
      a.box[2] - b.box[2] ||
      a.chips[0] - b.chips[0],
  );
}

/** How many merged objects carry each label, most first (then by label). */
export function countByLabel(merged: readonly MergedBox[]): Array<{ label: string; count: number }> {
  const counts = new Map<string, { label: string; count: number }>();
  for (const box of merged) {
    const key = labelKey(box.label);
    const entry = counts.get(key);
    if (entry) entry.count += 1;
    else counts.set(key, { label: box.label, count: 1 });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));
}
