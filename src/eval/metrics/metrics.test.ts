/**
 * Expected values come from the reference implementations themselves, run once with Python 3.11 on the inputs below
 * and kept here as literals (the tests need no Python):
 * - NLTK git f2a92bd7e (3.8.1+): `corpus_bleu(..., SmoothingFunction().method1)`, `meteor_score` with WordNet 3.0
 *   (Debian's wordnet-base, read as meteor.test.ts says, and the same on the npm package's; these METEOR values are the same with a WordNet whose
 *   `synsets()` is empty: no synonym matches here), `PorterStemmer().stem`;
 * - rouge 1.0.1 (pltrdy/rouge c1b90a7): `Rouge().get_scores(hyp, ref)`;
 * - pycocoevalcap (salaniz ad63453) `cider/cider_scorer.py`: `CiderScorer(n=4, sigma=6.0).compute_score()`;
 * all applied exactly as GeoZero's script applies them.
 */
import { describe, expect, it } from "vitest";
import { normalizeText, pythonSplit } from "../../tasks/answer-match";
import { accuracyPercent } from "./accuracy";
import { corpusBleu, fsum } from "./bleu";
import { captionMetrics } from "./caption";
import { ciderScores } from "./cider";
import { meteor, NO_SYNONYMS, singleMeteor } from "./meteor";
import { porterStem } from "./porter";
import { NLTK_PORTER_STEMS } from "./porter-expected";
import { rouge1, rougeL } from "./rouge";
import { openWordNet } from "./wordnet";

const PREDICTIONS = [
  "Many planes are parked next to a long runway.",
  "a river flows through the farmlands",
  "",
  "Several buildings and green trees are around the playground!!",
];
const REFERENCES = [
  [
    "Many aircraft are parked beside the runway.",
    "There are several planes parked near a runway.",
    "some airplanes stop on the airport",
  ],
  ["A winding river passes through farmland.", "the river flowing across fields"],
  ["a dense residential area"],
  [
    "There are some buildings and trees around a playground.",
    "A playground is surrounded by many green trees and buildings.",
    "the the trees trees",
  ],
];
const tokens = (s: string) => pythonSplit(normalizeText(s));

describe("classification and VQA accuracy", () => {
  it("accuracy is the percentage of hits", () => {
    expect(accuracyPercent([true, false, true, true])).toBe(75);
    expect(accuracyPercent([])).toBeNaN();
  });
});

describe("BLEU (NLTK corpus_bleu, smoothing method1)", () => {
  it("matches NLTK on the fixture corpus", () => {
    const bleu = corpusBleu(
      REFERENCES.map((refs) => refs.map(tokens)),
      PREDICTIONS.map(tokens),
    );
    const nltk = [0.6353977698609087, 0.2765213859421623, 0.07081724263147633, 0.03741127947597514];
    bleu.forEach((value, i) => {
      expect(value).toBeCloseTo(nltk[i], 14);
    });
  });
  it("smooths zero counts of hypotheses shorter than n and applies the brevity penalty", () => {
    const bleu = corpusBleu([[["a", "b", "c"]], [["d", "e"]]], [["a"], ["d", "e"]]);
    const nltk = [0.513417119032592, 0.3630407264452067, 0.15012407631534455, 0.09653790029387353];
    bleu.forEach((value, i) => {
      expect(value).toBeCloseTo(nltk[i], 14);
    });
  });
  it("is 0 without any unigram match", () => {
    expect(corpusBleu([[["a"]]], [["b"]])).toEqual([0, 0, 0, 0]);
  });
  it("fsum is exact where naive addition is not (Python docs: fsum([.1]*10) == 1.0)", () => {
    expect(fsum(new Array(10).fill(0.1))).toBe(1);
  });
});

describe("Porter stemmer (NLTK_EXTENSIONS)", () => {
  it.each(Object.entries(NLTK_PORTER_STEMS))("%s → %s", (word, stem) => {
    expect(porterStem(word)).toBe(stem);
  });
});

describe("METEOR (NLTK meteor_score, exact + stem stages)", () => {
  const wordnet = openWordNet();
  it.each([
    ["the cat sat on the mat", "on the mat sat the cat", 0.5],
    ["the cats were running quickly", "a cat runs quick", 0.24390243902439024],
    ["buildings parked", "building parking", 0.9375],
    ["a a a", "a", 0.4166666666666667],
  ])("hypothesis %j against %j", (hypothesis, reference, expected) => {
    expect(singleMeteor(reference.split(" "), hypothesis.split(" "), wordnet)).toBeCloseTo(expected, 14);
    expect(singleMeteor(reference.split(" "), hypothesis.split(" "), NO_SYNONYMS)).toBeCloseTo(expected, 14);
  });
  it("takes the best reference per sample, as GeoZero's max over references", () => {
    const nltk = [0.4383680555555556, 0.5010893246187365, 0, 0.4737654320987654];
    PREDICTIONS.forEach((p, k) => {
      const best = Math.max(...REFERENCES[k].map((r) => meteor([tokens(r)], tokens(p), wordnet)));
      expect(best).toBeCloseTo(nltk[k], 14);
    });
  });
});

describe("ROUGE (rouge 1.0.1 get_scores)", () => {
  it.each([
    ["the cat the cat sat", "the cat sat on the mat", 0.7499999953125, 0.49999999531250006],
    ["a b c d. c b a", "a c b d a", 0.999999995, 0.999999995],
    ["x y z", "z y x w", 0.8571428522448981, 0.2857142808163266],
  ])("%j against %j", (hypothesis, reference, f1, fl) => {
    expect(rouge1(hypothesis, reference).f).toBeCloseTo(f1, 14);
    expect(rougeL(hypothesis, reference).f).toBeCloseTo(fl, 14);
  });
  it("distinct-word counts and per-reference values match the package", () => {
    const score = rougeL(normalizeText(PREDICTIONS[3]), normalizeText(REFERENCES[3][2]));
    expect(score.r).toBeCloseTo(0.5, 14);
    expect(score.p).toBeCloseTo(0.1111111111111111, 14);
    expect(score.f).toBeCloseTo(0.18181817884297521, 14);
  });
});

describe("CIDEr (pycocoevalcap)", () => {
  it("matches per-image scores with document frequencies from this corpus", () => {
    const scores = ciderScores(
      PREDICTIONS.map(normalizeText),
      REFERENCES.map((refs) => refs.map(normalizeText)),
    );
    const coco = [0.9231584171028971, 0.8740695058938646, 0, 1.6343318950876797];
    scores.forEach((value, i) => {
      expect(value).toBeCloseTo(coco[i], 13);
    });
  });
});

describe("captionMetrics (GeoZero's caption branch)", () => {
  it("combines the metrics as the script does", () => {
    const metrics = captionMetrics(
      PREDICTIONS.map((prediction, k) => ({ prediction, references: REFERENCES[k] })),
      openWordNet(),
    );
    expect(metrics["BLEU-4"]).toBeCloseTo(0.03741127947597514, 14);
    expect(metrics.CIDEr).toBeCloseTo(0.8578899545211103, 13);
    expect(metrics["ROUGE-1"]).toBeCloseTo(0.43872548645040377, 14);
    expect(metrics["ROUGE-L"]).toBeCloseTo(0.38888888515842024, 14);
    expect(metrics.METEOR).toBeCloseTo(0.35330570306826437, 14);
    expect(metrics.ROUGE_valid_coverage).toBe(1);
  });
});
