import { type GeoReference, georefForWorldWindow, groundSampleDistance } from "../geo/georef";
import { worldPixelToLngLat, worldSizePx } from "../geo/mercator";
import { bboxToPixelWindow, type PixelWindow, tilesCoveringWindow } from "../geo/tiles";
import { DEFAULT_PIXEL_BUDGET, type PixelBudget, snappedCropSize } from "../tasks/model-input-size";
import { planRasterCrop, type RasterCropPlanResult } from "./raster/raster-crop-plan";
import type { BBox, PlannedCrop, TileSourceSpec } from "./types";

/** The default largest crop: the model's pixel budget is far below this, and so is a browser canvas's comfort. */
export const DEFAULT_CROP_LIMITS = { maxWidth: 4096, maxHeight: 4096 };

/** What to fetch and where to draw it, for one crop. */
export interface CropPlan {
  kind: "tiles";
  zoom: number;
  tileSize: number;
  window: PixelWindow;
  tiles: ReturnType<typeof tilesCoveringWindow>;
  georef: GeoReference;
}

/** A planned crop of a tile source. */
export type CropPlanResult = PlannedCrop<CropPlan>;

/**
 * Plans the crop of a bbox at a zoom, refusing it — before any tile is fetched — when it exceeds the limits, with
 * the zoom at which the same area would fit.
 */
export function planCrop(bbox: BBox, zoom: number, limits = DEFAULT_CROP_LIMITS, tileSize = 256): CropPlanResult {
  if (!Number.isInteger(zoom) || zoom < 0 || zoom > 24) {
    return { valid: false, reason: `Crop zoom ${zoom} is not an integer between 0 and 24.` };
  }
  if (bbox.north <= bbox.south) {
    return {
      valid: false,
      reason: "The selection has no height: draw a rectangle with a north edge above its south edge.",
    };
  }
  const window = bboxToPixelWindow(bbox, zoom, tileSize);
  const tooLarge = window.width > limits.maxWidth || window.height > limits.maxHeight;
  if (tooLarge) return { valid: false, reason: tooLargeReason(bbox, zoom, window, limits, tileSize) };
  const georef = georefForWorldWindow(window, zoom, tileSize);
  const gsd = groundSampleDistance(georef);
  const plan: CropPlan = {
    kind: "tiles",
    zoom,
    tileSize,
    window,
    tiles: tilesCoveringWindow(window, zoom, tileSize),
    georef,
  };
  return {
    valid: true,
    plan,
    width: window.width,
    height: window.height,
    groundWidthM: window.width * gsd,
    groundHeightM: window.height * gsd,
    gsd,
  };
}

function tooLargeReason(
  bbox: BBox,
  zoom: number,
  window: PixelWindow,
  limits: typeof DEFAULT_CROP_LIMITS,
  tileSize: number,
): string {
  let fitting = zoom - 1;
  while (fitting > 0) {
    const smaller = bboxToPixelWindow(bbox, fitting, tileSize);
    if (smaller.width <= limits.maxWidth && smaller.height <= limits.maxHeight) break;
    fitting--;
  }
  const factor = Math.max(window.width / limits.maxWidth, window.height / limits.maxHeight);
  return (
    `The selection is ${window.width} × ${window.height} px at zoom ${zoom}, over the ${limits.maxWidth} × ${limits.maxHeight} px limit. ` +
    `Lower the crop zoom to ${fitting} or less, or select an area about ${factor.toFixed(1)}× smaller on each side.`
  );
}

/**
 * The selection resized about its centre, in the crop zoom's pixel grid, so that the crop's sides are multiples of 32
 * inside the model's pixel budget: the model then sees exactly the crop's pixels. The result's pixel window at the
 * same zoom has exactly the snapped size.
 */
export function snapBBoxToModelSize(
  bbox: BBox,
  zoom: number,
  budget: PixelBudget = DEFAULT_PIXEL_BUDGET,
  tileSize = 256,
): BBox {
  const window = bboxToPixelWindow(bbox, zoom, tileSize);
  const [width, height] = snappedCropSize(window.width, window.height, budget);
  const world = worldSizePx(zoom, tileSize);
  if (height > world) {
    throw new RangeError(
      `At zoom ${zoom} the world is ${world} px tall, less than the ${height} px the model needs; raise the crop zoom.`,
    );
  }
  const left = Math.round(window.left + window.width / 2 - width / 2);
  const top = Math.min(Math.max(0, Math.round(window.top + window.height / 2 - height / 2)), world - height);
  const [west, north] = worldPixelToLngLat([wrap(left, world), top], zoom, tileSize);
  const [east, south] = worldPixelToLngLat([wrap(left + width, world), top + height], zoom, tileSize);
  return { west, south, east, north };
}

/** A global pixel column wrapped into [0, world) so that its longitude lies in [-180, 180). */
function wrap(x: number, world: number): number {
  return ((x % world) + world) % world;
}

/**
 * The crop of a selection from a source: a tile source at the chosen zoom (null: the finest zoom the source offers at
 * which it fits the limit), a GeoTIFF in its own pixel grid at the chosen level (null: the finest level that fits).
 * `zoom` is the zoom or level used.
 */
export function planSourceCrop(
  source: TileSourceSpec,
  bbox: BBox,
  chosen: number | null,
): { zoom: number; result: CropPlanResult | RasterCropPlanResult } {
  if (source.kind === "geotiff") {
    const result = planRasterCrop(source.info, bbox, chosen);
    return { zoom: result.valid ? result.plan.level : (chosen ?? 0), result };
  }
  if (chosen !== null) return { zoom: chosen, result: planCrop(bbox, chosen) };
  for (let zoom = source.maxZoom; zoom > 0; zoom--) {
    const result = planCrop(bbox, zoom);
    if (result.valid) return { zoom, result };
  }
  return { zoom: 0, result: planCrop(bbox, 0) };
}
