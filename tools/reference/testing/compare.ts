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

/** What tools/reference/testing/torch-fixture.json keeps of one step's logits. */
export interface StepSummary {
  argmax: number;
  topIds: number[];
  topValues: number[];
  /** Logits at 0, stride, 2·stride, … */
  probes: number[];
  logsumexp: number;
}

export function summarizeStep(logits: ArrayLike<number>, probeStride: number, top = 8): StepSummary {
  const best: number[] = [];
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    max = Math.max(max, logits[i]);
    if (best.length === top && logits[i] <= logits[best[top - 1]]) continue;
    let at = best.length;
    while (at > 0 && logits[best[at - 1]] < logits[i]) at--;
    best.splice(at, 0, i);
    if (best.length > top) best.pop();
  }
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  const probes: number[] = [];
  for (let i = 0; i < logits.length; i += probeStride) probes.push(logits[i]);
  return {
    argmax: best[0],
    topIds: best,
    topValues: best.map((i) => logits[i]),
    probes,
    logsumexp: max + Math.log(total),
  };
}
