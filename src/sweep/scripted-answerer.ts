/**
 * The test build's stand-in for the model in a sweep: it knows where objects are (longitude/latitude boxes, e.g. the
 * synthetic sample's roofs, placed by its scene generator) and answers a chip with the part of each that the chip
 * shows, in the pixels of the image the model saw, as GeoZero writes boxes. Random-weight test models never write
 * boxes, so this is how the tests check the whole sweep path: chips, crops, the answer's reading, merge and map.
 */
import { type GeoReference, lngLatToPixel } from "../geo/georef";
import type { BBox } from "../geo/tiles";

/** A number in [-1, 1) from three integers, the same every time. */
function wobble(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return ((h ^ (h >>> 13)) >>> 0) / 2 ** 31 - 1;
}

/**
 * The answer text for one chip: every object it shows, clipped to it, as `[x1, y1, x2, y2]` in model pixels. With
 * `jitter`, each edge moves by up to that many pixels, differently in each chip, as a model's boxes would.
 */
export function scriptedBoxesAnswer(
  objects: readonly BBox[],
  chip: GeoReference,
  input: { width: number; height: number },
  label: string,
  jitter = 0,
): string {
  const sx = input.width / chip.width;
  const sy = input.height / chip.height;
  const boxes: string[] = [];
  const chipKey = Math.round(chip.transform[0] * 7 + chip.transform[3] * 13);
  objects.forEach((object, index) => {
    const corners = [
      lngLatToPixel(chip, [object.west, object.north]),
      lngLatToPixel(chip, [object.east, object.north]),
      lngLatToPixel(chip, [object.east, object.south]),
      lngLatToPixel(chip, [object.west, object.south]),
    ];
    const x1 = Math.max(0, Math.min(...corners.map((c) => c[0])));
    const y1 = Math.max(0, Math.min(...corners.map((c) => c[1])));
    const x2 = Math.min(chip.width, Math.max(...corners.map((c) => c[0])));
    const y2 = Math.min(chip.height, Math.max(...corners.map((c) => c[1])));
    if (x2 - x1 < 0.5 || y2 - y1 < 0.5) return;
    const moved = [x1 * sx, y1 * sy, x2 * sx, y2 * sy].map((v, edge) => v + jitter * wobble(chipKey, index, edge));
    boxes.push(`{"bbox_2d": [${moved.map((v) => v.toFixed(1)).join(", ")}], "label": "${label}"}`);
  });
  return `I see ${boxes.length} ${label}${boxes.length === 1 ? "" : "s"} here.<answer>[${boxes.join(", ")}]</answer>`;
}
