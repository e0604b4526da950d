/**
 * METEOR as NLTK's `meteor_score([reference], hypothesis)` (nltk/translate/meteor_score.py, alpha 0.9, beta 3,
 * gamma 0.5): words aligned in three stages — exact, Porter stem (NLTK's stemmer), WordNet synonyms — each stage
 * matching greedily from the last hypothesis word and the last reference word; then
 * F = P·R / (α·P + (1−α)·R) and penalty γ·(chunks / matches)^β.
 *
 * The synonym stage reads WordNet 3.0 (the database NLTK's `wordnet` corpus is) through ./wordnet.ts, which
 * reimplements `wordnet.synsets` with `_morphy`. As in NLTK, the stage sees the words the stem stage left in their
 * *stemmed* form, on both sides: "forest" finds "woods" → "wood" and "ran" finds "go", but "large" → "larg" finds
 * nothing and "plane", whose lemma names include "airplane", misses the reference's "airplane" → "airplan". A
 * reference word matches when it is one of the hypothesis word's single-word lemma names, compared case-sensitively
 * (NLTK does not lowercase lemma names, so "us" → "America" never matches "america"). Scores equal NLTK's (same
 * doubles) on the pairs of meteor.test.ts, computed with NLTK itself on WordNet 3.0. `NO_SYNONYMS` is the explicit
 * WordNet-less mode (`npm run eval -- --no-wordnet-synonyms`): NLTK run with an empty WordNet, a lower bound of the
 * real score (0.305 against 0.358 on eight paraphrased remote-sensing captions).
 */
import { porterStem } from "./porter";

/** Where the synonym stage looks words up: a `WordNet`, or `NO_SYNONYMS`. */
export interface SynonymSource {
  /** The single-word lemma names of `wordnet.synsets(word)`. */
  synonyms(word: string): ReadonlySet<string>;
}

/** The explicit WordNet-less mode: the synonym stage finds nothing, so scores are a lower bound of NLTK's. */
export const NO_SYNONYMS: SynonymSource = { synonyms: () => new Set() };

type Indexed = Array<[index: number, word: string]>;
type Match = [hypothesisIndex: number, referenceIndex: number];

/** `_match_enums`: removes matched words from both lists, as NLTK does. */
function matchStage(hypothesis: Indexed, reference: Indexed): Match[] {
  const matches: Match[] = [];
  for (let i = hypothesis.length - 1; i >= 0; i--) {
    for (let j = reference.length - 1; j >= 0; j--) {
      if (hypothesis[i][1] === reference[j][1]) {
        matches.push([hypothesis[i][0], reference[j][0]]);
        hypothesis.splice(i, 1);
        reference.splice(j, 1);
        break;
      }
    }
  }
  return matches;
}

/**
 * `_enum_wordnetsyn_match`: a reference word matches a hypothesis word when it is among the hypothesis word's
 * synonyms or is the word itself (searching as `_match_enums` does); the relation is not symmetric.
 */
function synonymStage(hypothesis: Indexed, reference: Indexed, synonyms: SynonymSource): Match[] {
  const matches: Match[] = [];
  for (let i = hypothesis.length - 1; i >= 0; i--) {
    const word = hypothesis[i][1];
    const names = synonyms.synonyms(word);
    for (let j = reference.length - 1; j >= 0; j--) {
      if (reference[j][1] === word || names.has(reference[j][1])) {
        matches.push([hypothesis[i][0], reference[j][0]]);
        hypothesis.splice(i, 1);
        reference.splice(j, 1);
        break;
      }
    }
  }
  return matches;
}

/** `_enum_align_words`: exact, stem, then synonym matches, sorted by hypothesis position. */
export function alignWords(hypothesis: string[], reference: string[], synonyms: SynonymSource): Match[] {
  const hyp: Indexed = hypothesis.map((w, i) => [i, w.toLowerCase()]);
  const ref: Indexed = reference.map((w, i) => [i, w.toLowerCase()]);
  const exact = matchStage(hyp, ref);
  // NLTK hands the stem stage's *stemmed* leftovers on to the synonym stage.
  const stemmedHyp: Indexed = hyp.map(([i, w]) => [i, porterStem(w)]);
  const stemmedRef: Indexed = ref.map(([i, w]) => [i, porterStem(w)]);
  const stem = matchStage(stemmedHyp, stemmedRef);
  const synonym = synonymStage(stemmedHyp, stemmedRef, synonyms);
  return [...exact, ...stem, ...synonym].sort((a, b) => a[0] - b[0]);
}

/** `_count_chunks` on matches sorted by hypothesis position. */
function countChunks(matches: Match[]): number {
  let chunks = 1;
  for (let i = 0; i < matches.length - 1; i++) {
    const adjacent = matches[i + 1][0] === matches[i][0] + 1 && matches[i + 1][1] === matches[i][1] + 1;
    if (!adjacent) chunks++;
  }
  return chunks;
}

/** `single_meteor_score(reference, hypothesis)` on token lists. */
export function singleMeteor(
  reference: string[],
  hypothesis: string[],
  synonyms: SynonymSource,
  alpha = 0.9,
  beta = 3,
  gamma = 0.5,
): number {
  const alignment = alignWords(hypothesis, reference, synonyms);
  const matches = alignment.length;
  if (hypothesis.length === 0 || reference.length === 0 || matches === 0) return 0;
  const precision = matches / hypothesis.length;
  const recall = matches / reference.length;
  const fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall);
  const fragmentation = countChunks(alignment) / matches;
  return (1 - gamma * fragmentation ** beta) * fmean;
}

/** NLTK's `meteor_score(references, hypothesis)`: the best over the references. */
export function meteor(references: string[][], hypothesis: string[], synonyms: SynonymSource): number {
  return Math.max(...references.map((reference) => singleMeteor(reference, hypothesis, synonyms)));
}
