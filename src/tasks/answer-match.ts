/**
 * How an answer's text is compared with a reference, as GeoZero's evaluation compares them (the one normalisation and
 * the one exact match: the evaluation scores with them, the Ask panel's class verdict reads answers with them).
 * Normalisation is `normalize_caption` in `single_infer_eval_qwen3vl_think.py`:
 * `s.strip().lower()`, drop every `[^\w\s]`, collapse `\s+` to one space. Python's Unicode `\s`/`str.isspace` and `\w`
 * are reproduced (not JavaScript's, which differ on U+001C–U+001F, U+0085 and U+FEFF). Like GeoZero, nothing is
 * stripped after the punctuation goes, so `"a ."` becomes `"a "`; token lists come from `pythonSplit`.
 */

/** Python's whitespace (`str.isspace`, and `\s` in a `str` pattern). */
const PY_SPACE = "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PUNCTUATION = new RegExp(`[^\\p{L}\\p{N}_${PY_SPACE}]`, "gu");
const SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, "g");
const EDGE_SPACE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

/** Python's `s.strip()`. */
export function pythonStrip(s: string): string {
  return s.replace(EDGE_SPACE, "");
}

/** Python's `s.split()`: whitespace runs separate tokens, no empty tokens. */
export function pythonSplit(s: string): string[] {
  return pythonStrip(s)
    .split(SPACE_RUN)
    .filter((t) => t !== "");
}

/** GeoZero's `normalize_caption`. */
export function normalizeText(s: string): string {
  return pythonStrip(s).toLowerCase().replace(PUNCTUATION, "").replace(SPACE_RUN, " ");
}

/** Scene classification's score (GeoZero's `normalize_caption(pred) == normalize_caption(label)`). */
export function exactMatch(prediction: string, label: string): boolean {
  return normalizeText(prediction) === normalizeText(label);
}

/** VQA (`loose_match`): equal, or one normalised text contains the other (so an empty answer matches any label). */
export function looseMatch(prediction: string, label: string): boolean {
  const p = normalizeText(prediction);
  const l = normalizeText(label);
  return p === l || l.includes(p) || p.includes(l);
}
