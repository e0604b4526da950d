/**
 * ROUGE as GeoZero computes it: the `rouge` package (pltrdy/rouge 1.0.1, `Rouge().get_scores(hyp, ref)`), whose
 * defaults are `exclusive=True`: n-grams and LCS words are *sets*, and the word counts m and n are numbers of
 * *distinct* words. Texts are split into sentences at ".", each sentence's whitespace collapsed; ROUGE-L is the
 * summary-level union LCS; F = 2·P·R / (P + R + 1e-8) (beta 1). GeoZero takes, per sample, the best F over its
 * non-empty references; an empty hypothesis scores 0; a sample with no non-empty reference is skipped.
 */
import { pythonSplit, pythonStrip } from "../../tasks/answer-match";

export interface RougeScore {
  f: number;
  p: number;
  r: number;
}

function sentences(text: string): string[] {
  return text
    .split(".")
    .filter((s) => s.length > 0)
    .map((s) => pythonSplit(s).join(" "));
}

function words(sentenceList: string[]): string[] {
  return sentenceList.flatMap((s) => s.split(" "));
}

function fScore(overlap: number, evaluated: number, reference: number): RougeScore {
  const p = evaluated === 0 ? 0 : overlap / evaluated;
  const r = reference === 0 ? 0 : overlap / reference;
  return { f: 2 * ((p * r) / (p + r + 1e-8)), p, r };
}

function checkNonEmpty(hypothesis: string[], reference: string[]): void {
  if (hypothesis.length === 0) throw new RangeError("Hypothesis is empty.");
  if (reference.length === 0) throw new RangeError("Reference is empty.");
}

/** `rouge_n(hyp, ref, 1)` with set semantics. */
export function rouge1(hypothesisText: string, referenceText: string): RougeScore {
  const hypothesis = sentences(hypothesisText);
  const reference = sentences(referenceText);
  checkNonEmpty(hypothesis, reference);
  const evaluated = new Set(words(hypothesis));
  const referenceSet = new Set(words(reference));
  const overlap = [...evaluated].filter((w) => referenceSet.has(w)).length;
  return fScore(overlap, evaluated.size, referenceSet.size);
}

/** `_recon_lcs(x, y)`: the tokens of one LCS, reconstructed with the package's tie-breaking. */
function lcsTokens(x: string[], y: string[]): string[] {
  const table: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      table[i][j] = x[i - 1] === y[j - 1] ? table[i - 1][j - 1] + 1 : Math.max(table[i - 1][j], table[i][j - 1]);
    }
  }
  const tokens: string[] = [];
  let i = x.length;
  let j = y.length;
  while (i > 0 && j > 0) {
    if (x[i - 1] === y[j - 1]) {
      tokens.push(x[i - 1]);
      i--;
      j--;
    } else if (table[i - 1][j] > table[i][j - 1]) i--;
    else j--;
  }
  return tokens.reverse();
}

/** `rouge_l_summary_level(hyp, ref)` with set semantics. */
export function rougeL(hypothesisText: string, referenceText: string): RougeScore {
  const hypothesis = sentences(hypothesisText);
  const reference = sentences(referenceText);
  checkNonEmpty(hypothesis, reference);
  const m = new Set(words(reference)).size;
  const n = new Set(words(hypothesis)).size;
  const union = new Set<string>();
  let unionLcs = 0;
  for (const referenceSentence of reference) {
    const before = union.size;
    const referenceWords = referenceSentence.split(" ");
    for (const evaluated of hypothesis) {
      for (const token of lcsTokens(referenceWords, evaluated.split(" "))) union.add(token);
    }
    unionLcs += union.size - before;
  }
  return fScore(unionLcs, n, m);
}

/** GeoZero's per-sample ROUGE: best F over non-empty references; null when the sample has none (skipped). */
export function bestRouge(hypothesis: string, references: string[]): { rouge1: number; rougeL: number } | null {
  const hyp = pythonStrip(hypothesis);
  if (hyp === "") return { rouge1: 0, rougeL: 0 };
  const refs = references.map((r) => pythonStrip(r)).filter((r) => r !== "");
  const scored = refs.flatMap((ref) => {
    try {
      return [{ rouge1: rouge1(hyp, ref).f, rougeL: rougeL(hyp, ref).f }];
    } catch {
      return [];
    }
  });
  if (scored.length === 0) return null;
  return {
    rouge1: Math.max(...scored.map((s) => s.rouge1)),
    rougeL: Math.max(...scored.map((s) => s.rougeL)),
  };
}
