/** Classification and VQA accuracy of GeoZero's evaluation; the matches themselves are `tasks/answer-match.ts`. */

/** Mean of 0/1 hits, in percent (GeoZero's `np.mean(...) * 100`); NaN for no samples, as numpy gives. */
export function accuracyPercent(hits: boolean[]): number {
  if (hits.length === 0) return Number.NaN;
  return (hits.filter(Boolean).length / hits.length) * 100;
}
