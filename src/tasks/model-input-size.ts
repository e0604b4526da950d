/**
 * The size of the image the model sees. Qwen3-VL's processor resizes every image to sides that are multiples of
 * patch × merge = 32 within a pixel budget (`smart_resize`, as in GeoZero's script and Qwen2-VL's processor). The app
 * crops to multiples of 32 inside the budget so that no resize happens; when one still does, it is recorded here so
 * boxes can be mapped back exactly.
 *
 * `smartResize` follows the Python original, whose `round` sends halves to the even neighbour: a side that is an odd
 * multiple of factor / 2 (e.g. 80 px at factor 32) rounds down when the quotient's floor is even. transformers.js's
 * processor rounds halves up, but the app and the Node tools resize to this function's size before the processor
 * runs, so the processor's own resize is the identity and Python's rule is the one that counts.
 */

/** Qwen3-VL's resize factor: patch 16 × spatial merge 2. */
export const QWEN3_VL_FACTOR = 32;
/** GeoZero's evaluation rescales boxes with this factor (patch 14 × merge 2, Qwen2.5-VL's) although Qwen3-VL uses 32. */
export const GEOZERO_EVAL_FACTOR = 28;

/** Pixel budget of the processor. */
export interface PixelBudget {
  minPixels: number;
  maxPixels: number;
}

/** `smart_resize`'s default budget at `factor`: 4 to 16384 visual tokens of factor × factor pixels. */
export function tokenBudget(factor: number): PixelBudget {
  return { minPixels: 4 * factor * factor, maxPixels: 16384 * factor * factor };
}

/** Qwen3-VL's defaults: 4 to 16384 visual tokens of 32 × 32 pixels. */
export const DEFAULT_PIXEL_BUDGET: PixelBudget = tokenBudget(QWEN3_VL_FACTOR);

/** Python 3's `round()` to an integer: halves go to the even neighbour. */
export function pythonRound(x: number): number {
  const floor = Math.floor(x);
  if (x - floor === 0.5) return floor % 2 === 0 ? floor : floor + 1;
  return Math.round(x);
}

const roundBy = (n: number, f: number) => pythonRound(n / f) * f;
const ceilBy = (n: number, f: number) => Math.ceil(n / f) * f;
const floorBy = (n: number, f: number) => Math.floor(n / f) * f;

/** `smart_resize(height, width, factor, min_pixels, max_pixels)` with Python's rounding, returning [height, width]. */
export function smartResize(height: number, width: number, factor: number, budget: PixelBudget): [number, number] {
  if (Math.max(height, width) / Math.min(height, width) > 200) {
    throw new RangeError(`The image is ${width} × ${height}; its aspect ratio must be under 200 for Qwen3-VL.`);
  }
  let h = Math.max(factor, roundBy(height, factor));
  let w = Math.max(factor, roundBy(width, factor));
  if (h * w > budget.maxPixels) {
    const beta = Math.sqrt((height * width) / budget.maxPixels);
    h = floorBy(height / beta, factor);
    w = floorBy(width / beta, factor);
  } else if (h * w < budget.minPixels) {
    const beta = Math.sqrt(budget.minPixels / (height * width));
    h = ceilBy(height * beta, factor);
    w = ceilBy(width * beta, factor);
  }
  return [h, w];
}

/** What the model will see for a crop, and the scale from model pixels back to crop pixels. */
export interface ModelInput {
  width: number;
  height: number;
  /** crop pixels per model pixel */
  scaleX: number;
  scaleY: number;
  /** true when the model sees the crop's pixels unchanged */
  exact: boolean;
  /** visual tokens after the 2 × 2 merge */
  visualTokens: number;
}

/** The model input for a crop of `width × height` pixels. */
export function modelInputFor(width: number, height: number, budget = DEFAULT_PIXEL_BUDGET): ModelInput {
  const [h, w] = smartResize(height, width, QWEN3_VL_FACTOR, budget);
  return resizedInput(width, height, w, h);
}

/** A crop of `cropWidth × cropHeight` seen by the model at `width × height`. */
function resizedInput(cropWidth: number, cropHeight: number, width: number, height: number): ModelInput {
  return {
    width,
    height,
    scaleX: cropWidth / width,
    scaleY: cropHeight / height,
    exact: width === cropWidth && height === cropHeight,
    visualTokens: (width / QWEN3_VL_FACTOR) * (height / QWEN3_VL_FACTOR),
  };
}

/**
 * The crop size nearest to `width × height` that the model sees unchanged: sides that are multiples of 32 inside the
 * pixel budget (smart_resize's own answer, which it maps to itself).
 */
export function snappedCropSize(width: number, height: number, budget = DEFAULT_PIXEL_BUDGET): [number, number] {
  const [h, w] = smartResize(height, width, QWEN3_VL_FACTOR, budget);
  return [w, h];
}

/**
 * The model input for a crop as the worker reports it after its processor ran (`reportedWidth × reportedHeight`).
 * The report wins over the local prediction, so whatever resize really happened is the one boxes are mapped back
 * through. Without a report (0 × 0) the prediction stands.
 */
export function recordedModelInput(
  cropWidth: number,
  cropHeight: number,
  reportedWidth: number,
  reportedHeight: number,
  budget = DEFAULT_PIXEL_BUDGET,
): ModelInput {
  if (reportedWidth <= 0 || reportedHeight <= 0) return modelInputFor(cropWidth, cropHeight, budget);
  return resizedInput(cropWidth, cropHeight, reportedWidth, reportedHeight);
}

/** Why a pixel budget cannot be used, in words with the fix; null when it can. */
export function pixelBudgetProblem(budget: PixelBudget): string | null {
  const { minPixels, maxPixels } = budget;
  const tile = QWEN3_VL_FACTOR * QWEN3_VL_FACTOR;
  if (!Number.isFinite(minPixels) || !Number.isFinite(maxPixels)) return "Min and max pixels must be numbers.";
  if (maxPixels < tile) return `Max pixels must be at least ${tile} (one visual token of 32 × 32 px).`;
  if (minPixels > maxPixels) return `Min pixels (${minPixels}) is above max pixels (${maxPixels}); lower min pixels.`;
  return null;
}
