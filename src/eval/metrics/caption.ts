/**
 * GeoZero's captioning metrics over a corpus: every prediction and reference normalised (`normalizeText`), tokens by
 * whitespace; BLEU-1…4 (corpus, smoothing 1), CIDEr (pycocoevalcap), ROUGE-1 and ROUGE-L (`rouge` package, best per
 * sample, mean over scored samples), METEOR (NLTK with WordNet synonyms through `synonyms`, best reference per sample, mean). Values are fractions (0–1; CIDEr
 * is on its ×10 scale), as GeoZero logs them.
 */

import { normalizeText, pythonSplit } from "../../tasks/answer-match";
import { corpusBleu } from "./bleu";
import { ciderScores } from "./cider";
import { meteor, type SynonymSource } from "./meteor";
import { bestRouge } from "./rouge";

export interface CaptionSample {
  prediction: string;
  references: string[];
}

export interface CaptionMetrics {
  "BLEU-1": number;
  "BLEU-2": number;
  "BLEU-3": number;
  "BLEU-4": number;
  METEOR: number;
  "ROUGE-1": number;
  "ROUGE-L": number;
  CIDEr: number;
  /** share of samples ROUGE scored (GeoZero's `ROUGE_valid_coverage`) */
  ROUGE_valid_coverage: number;
  ROUGE_skipped_samples: number;
}

/** Per-sample scores for the records: METEOR, ROUGE-L against this sample's references. */
export interface CaptionSampleScore {
  meteor: number;
  rougeL: number | null;
}

export function captionSampleScore(sample: CaptionSample, synonyms: SynonymSource): CaptionSampleScore {
  const prediction = normalizeText(sample.prediction);
  const references = sample.references.map(normalizeText);
  return {
    meteor: meteor(references.map(pythonSplit), pythonSplit(prediction), synonyms),
    rougeL: bestRouge(prediction, references)?.rougeL ?? null,
  };
}

export function captionMetrics(samples: CaptionSample[], synonyms: SynonymSource): CaptionMetrics {
  if (samples.length === 0) throw new RangeError("Caption metrics need at least one sample.");
  const predictions = samples.map((s) => normalizeText(s.prediction));
  const references = samples.map((s) => s.references.map(normalizeText));
  const bleu = corpusBleu(
    references.map((refs) => refs.map(pythonSplit)),
    predictions.map(pythonSplit),
  );
  const ciders = ciderScores(predictions, references);
  let rouge1Sum = 0;
  let rougeLSum = 0;
  let scored = 0;
  predictions.forEach((prediction, k) => {
    const best = bestRouge(prediction, references[k]);
    if (best === null) return;
    rouge1Sum += best.rouge1;
    rougeLSum += best.rougeL;
    scored++;
  });
  const meteors = predictions.map((prediction, k) =>
    meteor(references[k].map(pythonSplit), pythonSplit(prediction), synonyms),
  );
  const denominator = Math.max(scored, 1);
  return {
    "BLEU-1": bleu[0],
    "BLEU-2": bleu[1],
    "BLEU-3": bleu[2],
    "BLEU-4": bleu[3],
    METEOR: meteors.reduce((a, b) => a + b, 0) / meteors.length,
    "ROUGE-1": rouge1Sum / denominator,
    "ROUGE-L": rougeLSum / denominator,
    CIDEr: ciders.reduce((a, b) => a + b, 0) / ciders.length,
    ROUGE_valid_coverage: scored / samples.length,
    ROUGE_skipped_samples: samples.length - scored,
  };
}
