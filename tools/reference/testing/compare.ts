/** Largest absolute difference over the largest reference magnitude (the tests' "relative error"). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`Compared arrays differ in length: ${actual.length} against ${expected.length}.`);
  let error = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return error / scale;
}

/** Column block `block` of a row-major [rows, blocks·width] array, as [rows, width]. */
export function columnBlock(packed: ArrayLike<number>, rows: number, width: number, block: number): Float64Array {
  const blocks = packed.length / rows / width;
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < width; c++) out[r * width + c] = packed[(r * blocks + block) * width + c];
  return out;
}

/** Pearson correlation of two equally long arrays. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [meanA, meanB] = [0, 0];
  for (let i = 0; i < n; i++) {
    meanA += a[i] / n;
    meanB += b[i] / n;
  }
  let [cross, squaresA, squaresB] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    cross += (a[i] - meanA) * (b[i] - meanB);
    squaresA += (a[i] - meanA) ** 2;
    squaresB += (b[i] - meanB) ** 2;
  }
  return cross / Math.sqrt(squaresA * squaresB);
}
