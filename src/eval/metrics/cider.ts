/**
 * CIDEr as pycocoevalcap's `Cider().compute_score(gts, res)` computes it (cider/cider_scorer.py — the coco-caption
 * variant known as CIDEr-D): n-grams 1–4 of `s.split()` (GeoZero passes its normalised strings, no PTB tokeniser),
 * document frequencies over the references of the evaluated corpus, tf-idf vectors with idf log(#images) − log(max(1,
 * df)), clipped dot products min(hyp, ref)·ref divided by the norms, a Gaussian length penalty with sigma 6, mean
 * over n, mean over references, ×10, mean over images. Its length is the hypothesis's *bigram* count (the reference
 * code counts `n == 1` on zero-based n), kept as is.
 */
import { pythonSplit } from "../../tasks/answer-match";

const N = 4;
const SIGMA = 6;

type Counts = Map<string, number>;

function precook(sentence: string): Counts {
  const words = pythonSplit(sentence);
  const counts: Counts = new Map();
  for (let k = 1; k <= N; k++) {
    for (let i = 0; i + k <= words.length; i++) {
      const key = words.slice(i, i + k).join(" ");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

const order = (ngram: string) => ngram.split(" ").length - 1;

interface Vector {
  vec: Array<Map<string, number>>;
  norm: number[];
  length: number;
}

/** Per image: CIDEr of the one hypothesis against its references; the corpus score is their mean. */
export function ciderScores(hypotheses: string[], references: string[][]): number[] {
  if (hypotheses.length !== references.length) {
    throw new RangeError(
      `CIDEr needs one reference list per hypothesis; got ${references.length} and ${hypotheses.length}.`,
    );
  }
  if (references.some((refs) => refs.length === 0))
    throw new RangeError("CIDEr needs at least one reference per image.");
  const cookedRefs = references.map((refs) => refs.map(precook));
  const documentFrequency = new Map<string, number>();
  for (const refs of cookedRefs) {
    const seen = new Set(refs.flatMap((counts) => [...counts.keys()]));
    for (const ngram of seen) documentFrequency.set(ngram, (documentFrequency.get(ngram) ?? 0) + 1);
  }
  const refLength = Math.log(cookedRefs.length);
  const toVector = (counts: Counts): Vector => {
    const vec = Array.from({ length: N }, () => new Map<string, number>());
    const norm = new Array<number>(N).fill(0);
    let length = 0;
    for (const [ngram, termFrequency] of counts) {
      const df = Math.log(Math.max(1, documentFrequency.get(ngram) ?? 0));
      const n = order(ngram);
      const value = termFrequency * (refLength - df);
      vec[n].set(ngram, value);
      norm[n] += value ** 2;
      if (n === 1) length += termFrequency;
    }
    return { vec, norm: norm.map(Math.sqrt), length };
  };
  const similarity = (hyp: Vector, ref: Vector): number[] => {
    const delta = hyp.length - ref.length;
    return hyp.vec.map((ngrams, n) => {
      let value = 0;
      for (const [ngram, weight] of ngrams) {
        const refWeight = ref.vec[n].get(ngram) ?? 0;
        value += Math.min(weight, refWeight) * refWeight;
      }
      if (hyp.norm[n] !== 0 && ref.norm[n] !== 0) value /= hyp.norm[n] * ref.norm[n];
      return value * Math.E ** (-(delta ** 2) / (2 * SIGMA ** 2));
    });
  };
  return hypotheses.map((hypothesis, k) => {
    const hyp = toVector(precook(hypothesis));
    const score = new Array<number>(N).fill(0);
    for (const ref of cookedRefs[k]) {
      similarity(hyp, toVector(ref)).forEach((v, n) => {
        score[n] += v;
      });
    }
    return (mean(score) / cookedRefs[k].length) * 10;
  });
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** pycocoevalcap's corpus CIDEr: the mean of the per-image scores. */
export function cider(hypotheses: string[], references: string[][]): number {
  return mean(ciderScores(hypotheses, references));
}
