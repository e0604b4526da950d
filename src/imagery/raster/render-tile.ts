import { lngLatToCrs } from "../../geo/crs";
import { crsToPixel } from "../../geo/georef";
import { worldPixelToLngLat } from "../../geo/mercator";
import type { RasterInfo } from "./open-raster";

/** Side of a map tile in pixels. */
export const MAP_TILE = 256;
/** Tile pixels between exactly transformed points; pixels between them are interpolated (far below a pixel). */
const GRID_STEP = 16;
/** The most raster pixels one map tile may read: a coarser view needs overviews. */
export const MAX_TILE_READ_SIDE = 2048;

/** Which level and window of the raster a map tile needs, and where each tile pixel samples it. */
export interface TilePlan {
  level: number;
  /** `[left, top, right, bottom]` in the level's pixels. */
  window: [number, number, number, number];
  /** For each tile pixel (row-major), the level pixel it shows as `col, row` pairs; NaN outside the raster. */
  samples: Float64Array;
}

/**
 * Plans a Web Mercator tile over a raster in any CRS: tile pixels go to the raster's full-resolution pixels through
 * proj4 on a 17 × 17 grid (interpolated between), the overview is the one nearest the tile's scale, and
 * the window is what those pixels cover. Null when the tile misses the raster or would need more than
 * {@link MAX_TILE_READ_SIDE} pixels a side (a file without overviews seen from afar).
 */
export function planTile(info: RasterInfo, z: number, x: number, y: number): TilePlan | null {
  const n = MAP_TILE / GRID_STEP + 1;
  const grid = new Float64Array(n * n * 2);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const lngLat = worldPixelToLngLat([x * MAP_TILE + i * GRID_STEP, y * MAP_TILE + j * GRID_STEP], z);
      const [u, v] = crsToPixel(info.georef, lngLatToCrs(info.georef.crs, lngLat));
      grid[(j * n + i) * 2] = u;
      grid[(j * n + i) * 2 + 1] = v;
    }
  }
  const samples = interpolate(grid, n);
  const extent = extentInside(samples, info.levels[0]);
  if (!extent) return null;
  const [minU, minV, maxU, maxV] = extent;
  const fullPerTilePixel = Math.max(maxU - minU, maxV - minV) / MAP_TILE;
  const level = levelFor(info, fullPerTilePixel);
  const { width, height } = info.levels[level];
  const fx = info.levels[0].width / width;
  const fy = info.levels[0].height / height;
  for (let k = 0; k < samples.length; k += 2) {
    samples[k] /= fx;
    samples[k + 1] /= fy;
  }
  const window: TilePlan["window"] = [
    Math.max(0, Math.floor(minU / fx)),
    Math.max(0, Math.floor(minV / fy)),
    Math.min(width, Math.floor(maxU / fx) + 1),
    Math.min(height, Math.floor(maxV / fy) + 1),
  ];
  if (window[2] - window[0] > MAX_TILE_READ_SIDE || window[3] - window[1] > MAX_TILE_READ_SIDE) return null;
  return { level, window, samples };
}

/**
 * The level whose pixel is nearest in scale to a tile pixel (`fullPerTilePixel` full-resolution pixels): at most
 * √2 times coarser, so a view reads about as many raster pixels as it shows, as tile pyramids do.
 */
function levelFor(info: RasterInfo, fullPerTilePixel: number): number {
  let chosen = 0;
  info.levels.forEach((level, index) => {
    if (info.levels[0].width / level.width <= fullPerTilePixel * Math.SQRT2) chosen = index;
  });
  return chosen;
}

/** Bilinear interpolation of the grid's raster coordinates at each tile pixel's centre. */
function interpolate(grid: Float64Array, n: number): Float64Array {
  const samples = new Float64Array(MAP_TILE * MAP_TILE * 2);
  for (let row = 0; row < MAP_TILE; row++) {
    const gy = (row + 0.5) / GRID_STEP;
    const j = Math.min(n - 2, Math.floor(gy));
    const ty = gy - j;
    for (let col = 0; col < MAP_TILE; col++) {
      const gx = (col + 0.5) / GRID_STEP;
      const i = Math.min(n - 2, Math.floor(gx));
      const tx = gx - i;
      for (let c = 0; c < 2; c++) {
        const a = grid[(j * n + i) * 2 + c];
        const b = grid[(j * n + i + 1) * 2 + c];
        const d = grid[((j + 1) * n + i) * 2 + c];
        const e = grid[((j + 1) * n + i + 1) * 2 + c];
        samples[(row * MAP_TILE + col) * 2 + c] = (a * (1 - tx) + b * tx) * (1 - ty) + (d * (1 - tx) + e * tx) * ty;
      }
    }
  }
  return samples;
}

/** The bounds of the samples that fall inside the full-resolution raster, or null when none does. */
function extentInside(
  samples: Float64Array,
  full: { width: number; height: number },
): [number, number, number, number] | null {
  let minU = Infinity;
  let minV = Infinity;
  let maxU = -Infinity;
  let maxV = -Infinity;
  for (let k = 0; k < samples.length; k += 2) {
    const u = samples[k];
    const v = samples[k + 1];
    if (!(u >= 0 && v >= 0 && u < full.width && v < full.height)) continue;
    minU = Math.min(minU, u);
    minV = Math.min(minV, v);
    maxU = Math.max(maxU, u);
    maxV = Math.max(maxV, v);
  }
  return minU === Infinity ? null : [minU, minV, maxU, maxV];
}

/** Draws the tile from the window's RGBA pixels, nearest neighbour; pixels outside the raster stay transparent. */
export function drawTile(plan: TilePlan, rgba: Uint8ClampedArray): Uint8ClampedArray {
  const [left, top, right, bottom] = plan.window;
  const width = right - left;
  const out = new Uint8ClampedArray(MAP_TILE * MAP_TILE * 4);
  for (let p = 0; p < MAP_TILE * MAP_TILE; p++) {
    const u = Math.floor(plan.samples[p * 2]);
    const v = Math.floor(plan.samples[p * 2 + 1]);
    if (!(u >= left && v >= top && u < right && v < bottom)) continue;
    const from = ((v - top) * width + (u - left)) * 4;
    out[p * 4] = rgba[from];
    out[p * 4 + 1] = rgba[from + 1];
    out[p * 4 + 2] = rgba[from + 2];
    out[p * 4 + 3] = rgba[from + 3];
  }
  return out;
}
