/** Classification and VQA scores of GeoZero's evaluation: exact and loose match of normalised texts. */
import { normalizeText } from "./normalize";

/** Scene classification: the normalised answer equals the normalised label. */
export function exactMatch(prediction: string, label: string): boolean {
  return normalizeText(prediction) === normalizeText(label);
}

/** VQA (`loose_match`): equal, or one normalised text contains the other (so an empty answer matches any label). */
export function looseMatch(prediction: string, label: string): boolean {
  const p = normalizeText(prediction);
  const l = normalizeText(label);
  return p === l || l.includes(p) || p.includes(l);
}

/** Mean of 0/1 hits, in percent (GeoZero's `np.mean(...) * 100`); NaN for no samples, as numpy gives. */
export function accuracyPercent(hits: boolean[]): number {
  if (hits.length === 0) return Number.NaN;
  return (hits.filter(Boolean).length / hits.length) * 100;
}
