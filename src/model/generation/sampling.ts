/**
 * Token choice from one row of logits: greedy, and sampling with HF transformers' warpers in its order
 * (temperature, then top-k, then top-p), drawn from a seeded generator so that a run is reproducible.
 */

/** Sampling settings; `topK` 0 and `topP` 1 switch those warpers off. */
export interface SamplingSettings {
  temperature: number;
  topK: number;
  topP: number;
}

/** A seeded uniform generator on [0, 1) (mulberry32: small, fast, and the same in every JavaScript engine). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest value; the first one on ties, as `torch.argmax`. */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** `log(sum(exp(row)))`, in float64 accumulation. */
export function logSumExp(logits: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of logits) if (value > max) max = value;
  if (max === Number.NEGATIVE_INFINITY) return max;
  let sum = 0;
  for (const value of logits) sum += Math.exp(value - max);
  return max + Math.log(sum);
}

/** `log_softmax` of one row. */
export function logSoftmax(logits: Float32Array): Float32Array {
  const logSum = logSumExp(logits);
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - logSum;
  return out;
}

/** Indices of the `k` largest values, largest first (ties broken by lower index). */
export function topIndices(values: Float32Array, k: number): number[] {
  const count = Math.min(k, values.length);
  if (count > 256) {
    const all = Array.from(values.keys());
    return all.sort((a, b) => values[b] - values[a] || a - b).slice(0, count);
  }
  // A small sorted buffer beats sorting the whole vocabulary (150k entries) for the k ≤ ~100 used here.
  const picked: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (picked.length === count && value <= values[picked[count - 1]]) continue;
    let at = picked.length;
    while (at > 0 && values[picked[at - 1]] < value) at--;
    picked.splice(at, 0, i);
    if (picked.length > count) picked.pop();
  }
  return picked;
}

function checkSettings({ temperature, topK, topP }: SamplingSettings): void {
  if (!(temperature > 0)) throw new RangeError(`temperature must be above 0 (got ${temperature}); use greedy for 0.`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`top-p must be in (0, 1] (got ${topP}).`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`top-k must be a whole number ≥ 0 (got ${topK}).`);
}

/** The candidate tokens left after the warpers, with their renormalised probabilities. */
export function samplingDistribution(
  logits: Float32Array,
  settings: SamplingSettings,
): { tokens: number[]; probabilities: number[] } {
  checkSettings(settings);
  const { temperature, topK, topP } = settings;
  let candidates = topIndices(logits, topK > 0 ? topK : logits.length);
  if (topK > 0) {
    // HF's top-k keeps every token tied with the k-th.
    const kth = logits[candidates[candidates.length - 1]];
    for (let i = 0; i < logits.length; i++) if (logits[i] === kth && !candidates.includes(i)) candidates.push(i);
  }
  const scaled = candidates.map((token) => logits[token] / temperature);
  // A loop, not Math.max(...scaled): spreading a full vocabulary (150k values) overflows the call stack.
  let max = Number.NEGATIVE_INFINITY;
  for (const value of scaled) if (value > max) max = value;
  const weights = scaled.map((value) => Math.exp(value - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let probabilities = weights.map((w) => w / total);
  if (topP < 1) {
    // HF's top-p removes a token when the mass of the tokens above it already reaches top_p; the first stays.
    let above = 0;
    let keep = 0;
    while (keep < candidates.length && (keep === 0 || above < topP)) above += probabilities[keep++];
    candidates = candidates.slice(0, keep);
    const kept = probabilities.slice(0, keep).reduce((a, b) => a + b, 0);
    probabilities = probabilities.slice(0, keep).map((p) => p / kept);
  }
  return { tokens: candidates, probabilities };
}

/** Draws one token from the warped distribution with `random`. */
export function sampleToken(logits: Float32Array, settings: SamplingSettings, random: () => number): number {
  const { tokens, probabilities } = samplingDistribution(logits, settings);
  let draw = random();
  for (let i = 0; i < tokens.length; i++) {
    draw -= probabilities[i];
    if (draw < 0) return tokens[i];
  }
  return tokens[tokens.length - 1];
}
