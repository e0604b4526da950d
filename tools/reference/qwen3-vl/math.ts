/**
 * Float64 building blocks of the reference forward pass. Matrices are row-major `Float64Array`s of `rows × cols`;
 * weights stay `Float32Array` in PyTorch's [out, in] layout (bf16 and fp32 checkpoint values are exact in float32).
 * Plain loops on purpose: this is the slow, obviously right version the graphs are checked against.
 */

/** `x · Wᵀ + b` for `x` [rows, inDim] and `W` [outDim, inDim]. */
export function linear(
  x: Float64Array,
  rows: number,
  weight: Float32Array,
  bias: Float32Array | undefined,
  outDim: number,
): Float64Array {
  const inDim = x.length / rows;
  if (weight.length !== outDim * inDim)
    throw new Error(`linear: weight has ${weight.length} values; expected ${outDim} × ${inDim}.`);
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const xOffset = r * inDim;
    for (let o = 0; o < outDim; o++) {
      let sum = bias ? bias[o] : 0;
      const wOffset = o * inDim;
      for (let i = 0; i < inDim; i++) sum += x[xOffset + i] * weight[wOffset + i];
      out[r * outDim + o] = sum;
    }
  }
  return out;
}

/** LayerNorm over the last axis of width `width` (biased variance, as PyTorch). */
export function layerNorm(x: Float64Array, width: number, weight: Float32Array, bias: Float32Array, eps = 1e-6) {
  const out = new Float64Array(x.length);
  for (let offset = 0; offset < x.length; offset += width) {
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[offset + i];
    mean /= width;
    let variance = 0;
    for (let i = 0; i < width; i++) variance += (x[offset + i] - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / width + eps);
    for (let i = 0; i < width; i++) out[offset + i] = (x[offset + i] - mean) * scale * weight[i] + bias[i];
  }
  return out;
}

/** RMSNorm over consecutive groups of `width` values (the whole hidden state, or one head for q/k norms). */
export function rmsNorm(x: Float64Array, width: number, weight: Float32Array, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let offset = 0; offset < x.length; offset += width) {
    let meanSquare = 0;
    for (let i = 0; i < width; i++) meanSquare += x[offset + i] ** 2;
    const scale = 1 / Math.sqrt(meanSquare / width + eps);
    for (let i = 0; i < width; i++) out[offset + i] = x[offset + i] * scale * weight[i];
  }
  return out;
}

/** Error function to double precision: Maclaurin series near 0, continued fraction of erfc beyond. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = a;
  for (let n = 80; n >= 1; n--) fraction = a + n / 2 / fraction;
  const complement = Math.exp(-a * a) / (Math.sqrt(Math.PI) * fraction);
  return Math.sign(x) * (1 - complement);
}

/** `nn.GELU()` (exact, erf form): the patch mergers. */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** `gelu_pytorch_tanh`: the vision blocks' MLP. */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function mapInPlace(x: Float64Array, f: (value: number) => number): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] = f(x[i]);
  return x;
}

export function addInPlace(target: Float64Array, addend: Float64Array): Float64Array {
  for (let i = 0; i < target.length; i++) target[i] += addend[i];
  return target;
}

/** `q·cos + rotate_half(q)·sin` on one head vector of length 2·half, with `angles` of length 2·half. */
export function rotateHalfInPlace(x: Float64Array, offset: number, angles: Float64Array): void {
  const half = angles.length / 2;
  for (let i = 0; i < half; i++) {
    const first = x[offset + i];
    const second = x[offset + half + i];
    x[offset + i] = first * Math.cos(angles[i]) - second * Math.sin(angles[i]);
    x[offset + half + i] = second * Math.cos(angles[half + i]) + first * Math.sin(angles[half + i]);
  }
}

/** Index of the largest value (the first one on ties, like torch.argmax). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Softmax(q·kᵀ / √d)·v of one query head over the key and value head vectors it may see. */
export function attend(query: Float64Array, keys: Float64Array[], values: Float64Array[]): Float64Array {
  const scale = 1 / Math.sqrt(query.length);
  const scores = keys.map((key) => key.reduce((sum, k, d) => sum + k * query[d], 0) * scale);
  const max = Math.max(...scores);
  const weights = scores.map((score) => Math.exp(score - max));
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Float64Array(query.length);
  values.forEach((value, j) => {
    for (let d = 0; d < out.length; d++) out[d] += (weights[j] / total) * value[d];
  });
  return out;
}
