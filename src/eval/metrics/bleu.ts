/**
 * Corpus BLEU as NLTK's `corpus_bleu(list_of_references, hypotheses, weights, SmoothingFunction().method1)`:
 * clipped n-gram counts summed over the corpus (each hypothesis adds at least 1 to every denominator, even when it is
 * shorter than n), closest reference length (ties to the shorter), brevity penalty, zero-count precisions smoothed to
 * 0.1 / denominator, and 0 when no unigram matches. GeoZero always passes 4-element weights, so 1- to 4-gram
 * precisions are all computed and smoothed even for BLEU-1.
 */

export type Tokens = string[];

function ngramCounts(tokens: Tokens, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join("\u0000");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** NLTK's `modified_precision` as (numerator, denominator), unreduced. */
export function modifiedPrecision(references: Tokens[], hypothesis: Tokens, n: number): [number, number] {
  const counts = ngramCounts(hypothesis, n);
  const maxCounts = new Map<string, number>();
  for (const reference of references) {
    const referenceCounts = ngramCounts(reference, n);
    for (const ngram of counts.keys()) {
      maxCounts.set(ngram, Math.max(maxCounts.get(ngram) ?? 0, referenceCounts.get(ngram) ?? 0));
    }
  }
  let numerator = 0;
  let total = 0;
  for (const [ngram, count] of counts) {
    numerator += Math.min(count, maxCounts.get(ngram) ?? 0);
    total += count;
  }
  return [numerator, Math.max(1, total)];
}

function closestReferenceLength(references: Tokens[], hypothesisLength: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (const { length } of references) {
    const distance = Math.abs(length - hypothesisLength);
    const bestDistance = Math.abs(best - hypothesisLength);
    if (distance < bestDistance || (distance === bestDistance && length < best)) best = length;
  }
  return best;
}

function brevityPenalty(referenceLength: number, hypothesisLength: number): number {
  if (hypothesisLength > referenceLength) return 1;
  if (hypothesisLength === 0) return 0;
  return Math.exp(1 - referenceLength / hypothesisLength);
}

/** Python's `math.fsum`: Shewchuk's exact partials, then CPython's correctly rounded sum of them. */
export function fsum(values: number[]): number {
  const partials: number[] = [];
  for (let x of values) {
    let kept = 0;
    for (let y of partials) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[kept++] = lo;
      x = hi;
    }
    partials.length = kept;
    partials.push(x);
  }
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

/** BLEU-1 … BLEU-4 with GeoZero's weights (1), (½, ½), (⅓, ⅓, ⅓), (¼, ¼, ¼, ¼), as fractions in 0–1. */
export function corpusBleu(references: Tokens[][], hypotheses: Tokens[]): [number, number, number, number] {
  if (references.length !== hypotheses.length) {
    throw new RangeError(
      `BLEU needs one reference list per hypothesis; got ${references.length} and ${hypotheses.length}.`,
    );
  }
  const numerators = [0, 0, 0, 0];
  const denominators = [0, 0, 0, 0];
  let hypothesisLength = 0;
  let referenceLength = 0;
  hypotheses.forEach((hypothesis, k) => {
    for (let n = 1; n <= 4; n++) {
      const [num, den] = modifiedPrecision(references[k], hypothesis, n);
      numerators[n - 1] += num;
      denominators[n - 1] += den;
    }
    hypothesisLength += hypothesis.length;
    referenceLength += closestReferenceLength(references[k], hypothesis.length);
  });
  if (numerators[0] === 0) return [0, 0, 0, 0];
  const penalty = brevityPenalty(referenceLength, hypothesisLength);
  const precisions = numerators.map((num, i) => (num === 0 ? (num + 0.1) / denominators[i] : num / denominators[i]));
  const bleuWith = (weights: number[]) => penalty * Math.exp(fsum(weights.map((w, i) => w * Math.log(precisions[i]))));
  return [
    bleuWith([1, 0, 0, 0]),
    bleuWith([0.5, 0.5, 0, 0]),
    bleuWith([1 / 3, 1 / 3, 1 / 3, 0]),
    bleuWith([0.25, 0.25, 0.25, 0.25]),
  ];
}
