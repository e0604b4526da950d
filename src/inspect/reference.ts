/**
 * A reference box drawn on the map over a crop, for live answers: its place in the crop's pixels and each predicted
 * box's IoU against it, with GeoZero's IoU function.
 */

import { iou } from "../eval/metrics/grounding";
import { type GeoReference, lngLatToPixel } from "../geo/georef";
import type { BBox } from "../geo/tiles";
import type { FoundBox } from "../tasks/boxes";
import type { ReferenceComparison } from "../tasks/geojson";

export type ReferenceReading = { valid: true; comparison: ReferenceComparison } | { valid: false; reason: string };

/** The drawn rectangle in crop pixels (clipped to the crop), and the IoU of every kept box against it. */
export function compareWithReference(bbox: BBox, georef: GeoReference, boxes: readonly FoundBox[]): ReferenceReading {
  const [ax, ay] = lngLatToPixel(georef, [bbox.west, bbox.north]);
  const [bx, by] = lngLatToPixel(georef, [bbox.east, bbox.south]);
  const round = (v: number) => Math.round(v * 10) / 10;
  const x1 = round(Math.max(0, Math.min(ax, bx)));
  const y1 = round(Math.max(0, Math.min(ay, by)));
  const x2 = round(Math.min(georef.width, Math.max(ax, bx)));
  const y2 = round(Math.min(georef.height, Math.max(ay, by)));
  if (x2 <= x1 || y2 <= y1) {
    return { valid: false, reason: "The reference box lies outside the crop; draw it over the cropped area." };
  }
  const pixels: [number, number, number, number] = [x1, y1, x2, y2];
  const ious = new Map<number, number>();
  for (const box of boxes) if (box.pixels) ious.set(box.index, iou(pixels, box.pixels));
  return { valid: true, comparison: { pixels, ious } };
}
