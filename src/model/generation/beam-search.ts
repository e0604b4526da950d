/**
 * Beam search as HF transformers (≥ 4.50, the vectorised `_beam_search`) runs it for one prompt, written over an
 * abstract model step so the same code drives ONNX sessions in the browser and in Node, and tests can drive it with
 * any logits:
 * - every step, `log_softmax` of each running row (then the logits processor), plus the row's running score; the best
 *   `max(2, 1 + #eos) × beams` continuations are kept;
 * - of those, the best `beams` that end in eos or reach the length limit become finished hypotheses scored
 *   `sum logprobs / generated_length ^ length_penalty` (the eos counted in the length), kept if among the best
 *   `beams` finished so far; the best `beams` others keep running;
 * - it stops when no running beam is left, `early_stopping: true` and every finished slot is filled, or the
 *   early-stopping heuristic says no running beam can beat the worst finished one (`false`: judged at the current
 *   length; `"never"` with a positive penalty: at the maximal length).
 */

import { logSoftmax, logSumExp, topIndices } from "./sampling";

/** How HF's `early_stopping` ends beam search. */
export type EarlyStopping = boolean | "never";

/** Beam search settings, named as HF's generation config. */
export interface BeamSearchSettings {
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: EarlyStopping;
  maxNewTokens: number;
  eosTokenIds: readonly number[];
}

/** Edits one row of scores in place (HF applies processors to the log-probabilities in beam search). */
export type LogitsProcessor = (scores: Float32Array, generated: readonly number[]) => void;

/** One hypothesis: generated tokens (eos included when it ended there) and its score. */
export interface Hypothesis {
  tokens: number[];
  score: number;
}

/** What the beams look like after a step, for a progress view. */
export interface BeamProgress {
  step: number;
  /** running beams, best first, with their summed log-probabilities */
  running: Hypothesis[];
  /** the best finished hypothesis so far (length-penalised score), if any */
  bestFinished: Hypothesis | null;
}

/**
 * Runs the model one step: `tokens[r]` appended to row `parents[r]` of the previous step (the KV cache is gathered
 * by `parents`), returning the last-position logits of every new row, row after row.
 */
export type BeamStep = (tokens: number[], parents: number[]) => Promise<Float32Array>;

/** Where beam search ended. */
export interface BeamSearchResult extends Hypothesis {
  /** true when `shouldStop` ended it before a natural end */
  stopped: boolean;
  steps: number;
}

const NEG = -1.0e9;

interface Slot extends Hypothesis {
  finished: boolean;
}

interface Candidate {
  row: number;
  token: number;
  score: number;
  hitsStop: boolean;
}

function checkSettings(settings: BeamSearchSettings): void {
  const { numBeams, maxNewTokens } = settings;
  if (!Number.isInteger(numBeams) || numBeams < 1) throw new RangeError(`numBeams must be ≥ 1 (got ${numBeams}).`);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1)
    throw new RangeError(`maxNewTokens must be ≥ 1 (got ${maxNewTokens}).`);
}

/** The best `keep` continuations over all rows, best first (ties: lower row, then lower token, as a flat topk). */
function topContinuations(
  logits: Float32Array,
  running: Hypothesis[],
  vocab: number,
  keep: number,
  processor: LogitsProcessor | undefined,
): Array<Omit<Candidate, "hitsStop">> {
  const all: Array<Omit<Candidate, "hitsStop">> = [];
  for (let row = 0; row < running.length; row++) {
    const rowLogits = logits.subarray(row * vocab, (row + 1) * vocab);
    if (processor) {
      const logProbs = logSoftmax(rowLogits);
      processor(logProbs, running[row].tokens);
      for (const token of topIndices(logProbs, keep))
        all.push({ row, token, score: logProbs[token] + running[row].score });
    } else {
      // Without a processor the order of logits is the order of log-probabilities: no full-vocabulary copy.
      const logSum = logSumExp(rowLogits);
      for (const token of topIndices(rowLogits, keep))
        all.push({ row, token, score: rowLogits[token] - logSum + running[row].score });
    }
  }
  all.sort((a, b) => b.score - a.score || a.row - b.row || a.token - b.token);
  return all.slice(0, keep);
}

/** Runs beam search from the prompt's last-position logits (`vocab` values). */
export async function beamSearch(
  promptLogits: Float32Array,
  step: BeamStep,
  settings: BeamSearchSettings,
  options: {
    processor?: LogitsProcessor;
    onProgress?: (progress: BeamProgress) => void;
    /** asked before every model step; may wait (the generator yields to the event loop there) */
    shouldStop?: () => boolean | Promise<boolean>;
  } = {},
): Promise<BeamSearchResult> {
  checkSettings(settings);
  const { numBeams, lengthPenalty, earlyStopping, maxNewTokens, eosTokenIds } = settings;
  const vocab = promptLogits.length;
  const keep = Math.max(2, 1 + eosTokenIds.length) * numBeams;
  // As HF: the prompt is copied to every beam, and all but the first start at −1e9 so step 0 expands one beam.
  let running: Hypothesis[] = Array.from({ length: numBeams }, (_, i) => ({ tokens: [], score: i === 0 ? 0 : NEG }));
  let slots: Slot[] = Array.from({ length: numBeams }, () => ({ tokens: [], score: NEG, finished: false }));
  let logits: Float32Array = new Float32Array(numBeams * vocab);
  for (let row = 0; row < numBeams; row++) logits.set(promptLogits, row * vocab);
  let improvable = true;

  for (let generated = 0; ; ) {
    const candidates: Candidate[] = topContinuations(logits, running, vocab, keep, options.processor).map((c) => ({
      ...c,
      hitsStop: eosTokenIds.includes(c.token) || generated + 1 >= maxNewTokens,
    }));
    const extend = (c: Candidate): number[] => [...running[c.row].tokens, c.token];
    const nextRunning = candidates
      .map((c, rank) => ({ c, rank, score: c.score + (c.hitsStop ? NEG : 0) }))
      .sort((a, b) => b.score - a.score || a.rank - b.rank)
      .slice(0, numBeams);
    slots = updateFinished(slots, candidates, extend, {
      numBeams,
      denominator: (generated + 1) ** lengthPenalty,
      closed: !improvable || (earlyStopping === true && slots.every((s) => s.finished)),
    });
    const parents = nextRunning.map(({ c }) => c.row);
    running = nextRunning.map(({ c, score }) => ({ tokens: extend(c), score }));
    generated++;
    const bestLength = earlyStopping === "never" && lengthPenalty > 0 ? maxNewTokens : generated;
    const bestPossible = running[0].score / bestLength ** lengthPenalty;
    const worstFinished = Math.min(...slots.map((s) => s.score));
    improvable = improvable && slots.some((s) => bestPossible > (s.finished ? worstFinished : NEG));
    options.onProgress?.({ step: generated, running, bestFinished: slots[0].finished ? slots[0] : null });
    const done =
      !improvable || (earlyStopping === true && slots.every((s) => s.finished)) || candidates.every((c) => c.hitsStop);
    if (done) return { ...best(slots, running, generated, lengthPenalty), stopped: false, steps: generated };
    if (await options.shouldStop?.())
      return { ...best(slots, running, generated, lengthPenalty), stopped: true, steps: generated };
    logits = await step(
      running.map((r) => r.tokens[r.tokens.length - 1]),
      parents,
    );
  }
}

/** Merges the top-`numBeams` candidates that just finished into the finished slots, keeping the best `numBeams`. */
function updateFinished(
  slots: Slot[],
  candidates: Candidate[],
  extend: (c: Candidate) => number[],
  { numBeams, denominator, closed }: { numBeams: number; denominator: number; closed: boolean },
): Slot[] {
  const fresh: Slot[] = candidates.map((c, rank) => {
    const justFinished = c.hitsStop && rank < numBeams;
    const score = c.score / denominator + (closed ? NEG : 0) + (justFinished ? 0 : NEG);
    return { tokens: extend(c), score, finished: justFinished };
  });
  return [...slots, ...fresh]
    .map((slot, order) => ({ slot, order }))
    .sort((a, b) => b.slot.score - a.slot.score || a.order - b.order)
    .slice(0, numBeams)
    .map(({ slot }) => slot);
}

/** The best finished hypothesis; when none finished (stopped early), the best running beam, length-penalised. */
function best(slots: Slot[], running: Hypothesis[], generated: number, lengthPenalty: number): Hypothesis {
  const finished = slots.find((s) => s.finished);
  if (finished) return { tokens: finished.tokens, score: finished.score };
  return { tokens: running[0].tokens, score: running[0].score / generated ** lengthPenalty };
}
