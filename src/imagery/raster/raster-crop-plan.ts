import { lngLatToCrs } from "../../geo/crs";
import { pointsBounds, rectangleOutline } from "../../geo/extent";
import { type AffineTransform, crsToPixel, type GeoReference, groundSampleDistance } from "../../geo/georef";
import { type BBox, lngSpan } from "../../geo/tiles";
import type { PlannedCrop } from "../types";
import type { RasterInfo } from "./open-raster";

/** A crop in the raster's own pixel grid: one level, one window, and its georeference in the raster's CRS. */
export interface RasterCropPlan {
  kind: "raster";
  level: number;
  /** `[left, top, right, bottom]` in the level's pixels. */
  window: [number, number, number, number];
  georef: GeoReference;
}

/** A planned raster crop with its sizes, or why it is refused. */
export type RasterCropPlanResult = PlannedCrop<RasterCropPlan>;

/**
 * The window of full-resolution pixels that covers a bbox: its outline (32 points a side) through proj4 into the
 * raster's pixels, edges rounded to the nearest pixel boundary and clipped to the raster. Null when they miss it.
 */
function fullResolutionWindow(info: RasterInfo, bbox: BBox): [number, number, number, number] | null {
  const outline = rectangleOutline([bbox.west, bbox.north, bbox.west + lngSpan(bbox), bbox.south], 32);
  const bounds = pointsBounds(outline.map((lngLat) => crsToPixel(info.georef, lngLatToCrs(info.georef.crs, lngLat))));
  if (!bounds) return null;
  const [minU, minV, maxU, maxV] = bounds;
  const { width, height } = info.levels[0];
  const window: [number, number, number, number] = [
    Math.max(0, Math.round(minU)),
    Math.max(0, Math.round(minV)),
    Math.min(width, Math.round(maxU)),
    Math.min(height, Math.round(maxV)),
  ];
  return window[2] > window[0] && window[3] > window[1] ? window : null;
}

/** The full-resolution window on one level: each edge divided by the level's factor and rounded. */
function windowOnLevel(
  info: RasterInfo,
  full: [number, number, number, number],
  level: number,
): RasterCropPlan["window"] {
  const { width, height } = info.levels[level];
  const fx = info.levels[0].width / width;
  const fy = info.levels[0].height / height;
  const left = Math.min(width - 1, Math.round(full[0] / fx));
  const top = Math.min(height - 1, Math.round(full[1] / fy));
  return [
    left,
    top,
    Math.max(left + 1, Math.min(width, Math.round(full[2] / fx))),
    Math.max(top + 1, Math.min(height, Math.round(full[3] / fy))),
  ];
}

/** The georeference of a window of a level: the raster's transform scaled to the level and moved to the window. */
function windowGeoref(info: RasterInfo, level: number, window: RasterCropPlan["window"]): GeoReference {
  const [x0, dx, rx, y0, ry, dy] = info.georef.transform;
  const fx = info.levels[0].width / info.levels[level].width;
  const fy = info.levels[0].height / info.levels[level].height;
  const [left, top] = window;
  const transform: AffineTransform = [
    x0 + left * fx * dx + top * fy * rx,
    dx * fx,
    rx * fy,
    y0 + left * fx * ry + top * fy * dy,
    ry * fx,
    dy * fy,
  ];
  return { width: window[2] - window[0], height: window[3] - window[1], transform, crs: info.georef.crs };
}

/**
 * Plans the crop of a bbox from a raster in its own pixel grid, at a level (0 = full resolution) or, with null, the
 * finest level at which the crop fits the limits. Refused when the bbox misses the raster or fits no level.
 */
export function planRasterCrop(
  info: RasterInfo,
  bbox: BBox,
  level: number | null,
  limits = { maxWidth: 4096, maxHeight: 4096 },
): RasterCropPlanResult {
  if (bbox.north <= bbox.south) {
    return {
      valid: false,
      reason: "The selection has no height: draw a rectangle with a north edge above its south edge.",
    };
  }
  const full = fullResolutionWindow(info, bbox);
  if (!full)
    return { valid: false, reason: `The selection lies outside ${info.name}; select an area over the raster.` };
  const fits = (k: number) => {
    const [l, t, r, b] = windowOnLevel(info, full, k);
    return r - l <= limits.maxWidth && b - t <= limits.maxHeight;
  };
  const last = info.levels.length - 1;
  if (level !== null && (!Number.isInteger(level) || level < 0 || level > last)) {
    return {
      valid: false,
      reason: `Level ${level} does not exist: ${info.name} has levels 0 (full resolution) to ${last}.`,
    };
  }
  const chosen = level ?? info.levels.findIndex((_, k) => fits(k));
  if (chosen < 0 || !fits(chosen)) {
    const [l, t, r, b] = windowOnLevel(info, full, chosen < 0 ? last : chosen);
    const finer = info.levels.findIndex((_, k) => fits(k));
    return {
      valid: false,
      reason:
        `The selection is ${r - l} × ${b - t} px of ${info.name} at level ${chosen < 0 ? last : chosen}, over the ${limits.maxWidth} × ${limits.maxHeight} px limit. ` +
        (finer >= 0
          ? `Choose level ${finer} or Auto, or select a smaller area.`
          : "Select a smaller area, or add overviews to the file (`gdaladdo`, or write it as a COG with `gdal_translate -of COG`)."),
    };
  }
  const window = windowOnLevel(info, full, chosen);
  const georef = windowGeoref(info, chosen, window);
  const gsd = groundSampleDistance(georef);
  return {
    valid: true,
    plan: { kind: "raster", level: chosen, window, georef },
    width: georef.width,
    height: georef.height,
    groundWidthM: georef.width * gsd,
    groundHeightM: georef.height * gsd,
    gsd,
  };
}
