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
  const outline = outlineWindow(info, bbox);
  if (!outline) return null;
  const { width, height } = info.levels[0];
  const window: [number, number, number, number] = [
    Math.max(0, outline[0]),
    Math.max(0, outline[1]),
    Math.min(width, outline[2]),
    Math.min(height, outline[3]),
  ];
  return window[2] > window[0] && window[3] > window[1] ? window : null;
}

/**
 * The pixels of a level that a bbox covers, not clipped to the raster (a sweep's chips beyond its edge are counted),
 * or null when the bbox misses the raster.
 */
export function rasterSelectionWindow(
  info: Pick<RasterInfo, "levels" | "georef">,
  bbox: BBox,
  level: number,
): [number, number, number, number] | null {
  const outline = outlineWindow(info, bbox);
  const { width, height } = info.levels[0];
  if (!outline || outline[2] <= 0 || outline[3] <= 0 || outline[0] >= width || outline[1] >= height) return null;
  const fx = width / info.levels[level].width;
  const fy = height / info.levels[level].height;
  const [l, t, r, b] = [
    Math.round(outline[0] / fx),
    Math.round(outline[1] / fy),
    Math.round(outline[2] / fx),
    Math.round(outline[3] / fy),
  ];
  return [l, t, Math.max(l + 1, r), Math.max(t + 1, b)];
}

/** A bbox's outline (32 points a side) through proj4 into full-resolution pixels, rounded; null where none lands. */
function outlineWindow(info: Pick<RasterInfo, "georef">, bbox: BBox): [number, number, number, number] | null {
  const outline = rectangleOutline([bbox.west, bbox.north, bbox.west + lngSpan(bbox), bbox.south], 32);
  const bounds = pointsBounds(outline.map((lngLat) => crsToPixel(info.georef, lngLatToCrs(info.georef.crs, lngLat))));
  if (!bounds) return null;
  const [minU, minV, maxU, maxV] = bounds;
  return [Math.round(minU), Math.round(minV), Math.round(maxU), Math.round(maxV)];
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

/**
 * Plans the crop of an exact window of a level's pixels (a sweep's chip), clipped to the level; refused when the
 * window misses the raster.
 */
export function planRasterWindow(
  info: RasterInfo,
  level: number,
  [left, top, right, bottom]: [number, number, number, number],
): RasterCropPlanResult {
  const { width, height } = info.levels[level] ?? { width: 0, height: 0 };
  const window: RasterCropPlan["window"] = [
    Math.max(0, left),
    Math.max(0, top),
    Math.min(width, right),
    Math.min(height, bottom),
  ];
  if (window[2] <= window[0] || window[3] <= window[1]) {
    return {
      valid: false,
      reason: `The window [${left}, ${top}, ${right}, ${bottom}] lies outside ${info.name} at level ${level}.`,
    };
  }
  const georef = windowGeoref(info, level, window);
  const gsd = groundSampleDistance(georef);
  return {
    valid: true,
    plan: { kind: "raster", level, window, georef },
    width: georef.width,
    height: georef.height,
    groundWidthM: georef.width * gsd,
    groundHeightM: georef.height * gsd,
    gsd,
  };
}
