/**
 * Synthetic chip boxes for the merge benchmark: a lattice of chips over scattered objects, each chip reporting the
 * part of every object it sees (clipped at its edges, up to half a pixel off), as a sweep's answers would give them.
 * Pure (no Node): the bench runs it in Node and in the browser.
 */
import type { SweepBox } from "../../src/sweep/merge";
import type { PixelRect } from "../../src/sweep/plan";

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** About `perChip` objects a chip over a `side × side` lattice of `chip`-px chips at `stride`, and their boxes. */
export function latticeBoxes(
  side: number,
  chip: number,
  stride: number,
  perChip: number,
  seed = 1,
): { boxes: SweepBox[]; objects: number } {
  const next = random(seed);
  const extent = (side - 1) * stride + chip;
  const count = Math.round((perChip * extent * extent) / (chip * chip));
  // Objects by the stride cell their corner falls in, so each chip looks only at those near it.
  const cells = new Map<number, PixelRect[]>();
  for (let i = 0; i < count; i++) {
    const [x, y] = [next() * extent, next() * extent];
    const object: PixelRect = [x, y, Math.min(extent, x + 12 + next() * 20), Math.min(extent, y + 10 + next() * 16)];
    const key = Math.floor(y / stride) * (side + 2) + Math.floor(x / stride);
    cells.set(key, [...(cells.get(key) ?? []), object]);
  }
  const boxes: SweepBox[] = [];
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const rect: PixelRect = [col * stride, row * stride, col * stride + chip, row * stride + chip];
      for (let cy = row - 1; cy <= row + 2; cy++) {
        for (let cx = col - 1; cx <= col + 2; cx++) {
          for (const o of cells.get(cy * (side + 2) + cx) ?? []) {
            const box: PixelRect = [
              Math.max(o[0], rect[0]) + (next() - 0.5),
              Math.max(o[1], rect[1]) + (next() - 0.5),
              Math.min(o[2], rect[2]) + (next() - 0.5),
              Math.min(o[3], rect[3]) + (next() - 0.5),
            ];
            if (box[2] - box[0] >= 1 && box[3] - box[1] >= 1) {
              boxes.push({ box, label: "object", chip: row * side + col, chipRect: rect });
            }
          }
        }
      }
    }
  }
  return { boxes, objects: count };
}
