/**
 * Generation for GeoZero / Qwen3-VL over the converted graphs, the one implementation used by the browser worker and
 * by the Node tools: prefill (vision features merged into the prompt's embeddings, multimodal positions from the
 * project's model class), then greedy, seeded sampling or HF-style beam search on the same sessions and KV cache,
 * streaming through callbacks and stoppable between any two model runs: before the vision encoder, before the prefill,
 * and before each decoding or beam step, it yields to the event loop (where a worker receives the page's abort) and
 * checks the signal.
 *
 * Follow-up questions: vision features are kept per image (by content), and the KV cache of the previous prompt is
 * kept so that a new prompt sharing its start (same system prompt and image) prefills only the rest.
 */
import { Tensor, TextStreamer } from "@huggingface/transformers";
import type { Decoding } from "../../tasks/prompts";
import type { GeoZeroQwen3VL } from "../qwen3-vl/model";
import { type BeamProgress, beamSearch, type EarlyStopping, type LogitsProcessor } from "./beam-search";
import {
  CACHE_REORDER_SESSION,
  KvDecoder,
  type OrtTensor,
  optionalSessionOf,
  sessionOf,
  type TransferCount,
} from "./decoder";
import type { ImageInput, PreparedPrompt } from "./inputs";
import { argmax, sampleToken, seededRandom } from "./sampling";

/** How to decode: the task's decoding, a seed for sampling, and HF's early stopping for beams. */
export type DecodingSettings = (
  | Exclude<Decoding, { kind: "beam" }>
  | (Omit<Extract<Decoding, { kind: "beam" }>, "earlyStopping"> & { earlyStopping: EarlyStopping })
) & { seed?: number };

/** What the caller hears while generating. */
export interface GenerationCallbacks {
  /** after the prompt's prefill */
  onPrefill?: (info: PrefillInfo) => void;
  /** each generated token (greedy and sampling) */
  onToken?: (tokenId: number, generated: number) => void;
  /** printable text as it forms (greedy and sampling); beam search sends its final text once */
  onText?: (piece: string) => void;
  /** after each beam search step */
  onBeams?: (progress: BeamView) => void;
  /** the last position's logits at each generated step (greedy and sampling), before any processor */
  onLogits?: (logits: Float32Array, step: number) => void;
}

/** Prefill facts for the status line. */
export interface PrefillInfo {
  promptTokens: number;
  imageEncodeMs: number;
  imageFeaturesReused: boolean;
  reusedPrefixTokens: number;
  prefillMs: number;
}

/** The beams after a step, readable. */
export interface BeamView {
  step: number;
  /** the best running beam's text and summed log-probability */
  bestText: string;
  bestLogProb: number;
  /** the best finished hypothesis so far */
  finishedText: string | null;
  finishedScore: number | null;
}

/** A finished (or stopped) generation. */
export interface GenerationOutput {
  /** generated ids, eos included when it ended there */
  tokenIds: number[];
  text: string;
  stopped: boolean;
  /** beam search: the winner's length-penalised score */
  score: number | null;
  /** sampling: the seed used */
  seed: number | null;
  prefill: PrefillInfo;
  /** bytes that crossed from the device to JavaScript memory, in the prefill and over the decoding steps */
  transfers: { prefillBytesToCpu: number; decodeBytesToCpu: number; decodeSteps: number };
  /** from the call to the first generated token */
  firstTokenMs: number;
  /** tokens per second after the first */
  tokensPerSecond: number;
  totalMs: number;
}

/** Options for one generation. */
export interface GenerateOptions {
  callbacks?: GenerationCallbacks;
  signal?: AbortSignal;
  /** edits scores before choosing: raw logits for greedy/sampling, log-probabilities for beams (as HF) */
  processor?: LogitsProcessor;
}

interface CachedPrompt {
  ids: number[];
  imageKey: string | null;
}

type Tokenizer = {
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
};

const FEATURE_CACHE_SIZE = 4;

/**
 * Prompt positions run through the decoder at once. A prefill of thousands of positions (a large image on the 8B) is
 * minutes on a software adapter: in chunks, Stop is seen between them, and the activations are bounded by a chunk.
 */
export const PREFILL_CHUNK = 256;

/** One loaded model's generator; keep one per model and dispose it with the model. */
export class Generator {
  private readonly decoder: KvDecoder;
  private readonly features = new Map<string, OrtTensor>();
  private cached: CachedPrompt | null = null;
  readonly eosTokenIds: number[];

  constructor(
    readonly model: GeoZeroQwen3VL,
    private readonly tokenizer: Tokenizer,
    options: { eosTokenIds?: number[]; reusePrefix?: boolean; prefillChunk?: number } = {},
  ) {
    this.decoder = new KvDecoder(
      sessionOf(model, "decoder_model_merged"),
      sessionOf(model, "embed_tokens"),
      optionalSessionOf(model, CACHE_REORDER_SESSION),
    );
    const configured = (model.generation_config as { eos_token_id?: number | number[] } | null)?.eos_token_id;
    this.eosTokenIds = options.eosTokenIds ?? (configured === undefined ? [] : [configured].flat());
    this.reusePrefix = options.reusePrefix ?? true;
    this.prefillChunk = options.prefillChunk ?? PREFILL_CHUNK;
  }

  /** positions per decoder run in a prefill */
  private readonly prefillChunk: number;

  /** whether a follow-up prompt may start from the cached prefix */
  reusePrefix: boolean;

  /** Bytes that crossed from the device to JavaScript memory so far (decoder outputs, downloads, image features). */
  get transfers(): Readonly<TransferCount> {
    return this.decoder.transfers;
  }

  /** Forgets the kept image features and KV cache. */
  forget(): void {
    this.features.clear();
    this.cached = null;
    this.decoder.reset();
  }

  dispose(): void {
    this.forget();
    this.decoder.dispose();
  }

  async generate(
    prompt: PreparedPrompt,
    decoding: DecodingSettings,
    options: GenerateOptions = {},
  ): Promise<GenerationOutput> {
    const started = performance.now();
    const callbacks = options.callbacks ?? {};
    const atStart = { ...this.decoder.transfers };
    const { logits, prefill } = await this.prefill(prompt, options.signal);
    callbacks.onPrefill?.(prefill);
    const shouldStop = async () => {
      await yieldToEventLoop();
      return options.signal?.aborted ?? false;
    };
    const afterPrefill = { ...this.decoder.transfers };
    const transfers = () => ({
      prefillBytesToCpu: afterPrefill.bytesToCpu - atStart.bytesToCpu,
      decodeBytesToCpu: this.decoder.transfers.bytesToCpu - afterPrefill.bytesToCpu,
      decodeSteps: this.decoder.transfers.steps - afterPrefill.steps,
    });
    const common = { started, prefill, callbacks, shouldStop, processor: options.processor, transfers };
    return decoding.kind === "beam"
      ? this.decodeBeams(logits, decoding, common)
      : this.decodeOne(logits, decoding, common);
  }

  /**
   * Encodes the image (or reuses its features), then runs the decoder over the prompt (or the part not cached) in
   * chunks of positions, the KV cache growing where it lives; an abort before the image, or between chunks, throws the
   * signal's reason (and the cache then holds no prompt to reuse).
   */
  async prefill(prompt: PreparedPrompt, signal?: AbortSignal): Promise<{ logits: Float32Array; prefill: PrefillInfo }> {
    const { inputIds, image } = prompt;
    if (inputIds.length === 0) throw new Error("The prompt is empty.");
    await throwIfAbortedAfterEvents(signal);
    const encodeStarted = performance.now();
    const imageFeaturesReused = image !== null && this.features.has(image.key);
    const features = image ? await this.imageFeatures(image) : null;
    const imageEncodeMs = imageFeaturesReused || !image ? 0 : performance.now() - encodeStarted;

    await throwIfAbortedAfterEvents(signal);
    const prefillStarted = performance.now();
    const reused = await this.startFromCache(inputIds, image?.key ?? null);
    const [positions, delta] = this.ropeIndex(inputIds, image);
    const imageRows = features ? this.imageRows(inputIds, features) : new Int32Array(0);
    this.cached = null;
    let logits: Float32Array | null = null;
    for (let from = reused; from < inputIds.length; from += this.prefillChunk) {
      if (from > reused) await throwIfAbortedAfterEvents(signal);
      const to = Math.min(from + this.prefillChunk, inputIds.length);
      const embeds = await this.promptEmbeds(inputIds, from, to, features, imageRows);
      const chunkPositions = slicePositions(positions, from, to);
      if (to < inputIds.length) await this.decoder.extend(embeds, chunkPositions);
      else logits = await this.decoder.run(embeds, chunkPositions);
    }
    if (!logits) throw new Error("The prompt left nothing to prefill after its cached prefix.");
    this.decoder.ropeDelta = delta;
    this.cached = { ids: inputIds, imageKey: image?.key ?? null };
    const prefill = {
      promptTokens: inputIds.length,
      imageEncodeMs,
      imageFeaturesReused,
      reusedPrefixTokens: reused,
      prefillMs: performance.now() - prefillStarted,
    };
    return { logits, prefill };
  }

  private async imageFeatures(image: ImageInput): Promise<OrtTensor> {
    const known = this.features.get(image.key);
    if (known) {
      this.features.delete(image.key);
      this.features.set(image.key, known);
      return known;
    }
    const features = (await this.model.encode_image({
      pixel_values: image.pixelValues,
      image_grid_thw: image.gridThw,
    })) as Tensor;
    if (features.dims[0] !== image.tokens)
      throw new Error(`The vision encoder gave ${features.dims[0]} rows for ${image.tokens} image tokens.`);
    this.decoder.countOtherOutput(features.ort_tensor);
    this.features.set(image.key, features.ort_tensor);
    if (this.features.size > FEATURE_CACHE_SIZE) this.features.delete(this.features.keys().next().value as string);
    return features.ort_tensor;
  }

  /** Cuts the kept cache to the prefix shared with `ids` (at least one token is left to prefill); returns its length. */
  private async startFromCache(ids: number[], imageKey: string | null): Promise<number> {
    const previous = this.cached;
    let shared = 0;
    if (this.reusePrefix && this.decoder.canReorder && previous && previous.imageKey === imageKey) {
      const limit = Math.min(previous.ids.length, ids.length - 1, this.decoder.length);
      while (shared < limit && previous.ids[shared] === ids[shared]) shared++;
    }
    if (shared === 0) this.decoder.reset();
    else await this.decoder.truncate(shared);
    return shared;
  }

  private ropeIndex(ids: number[], image: ImageInput | null): [OrtTensor, number] {
    const inputIds = new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
    const mask = new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    const [positions, deltas] = this.model.get_rope_index(
      inputIds,
      image?.gridThw as Tensor,
      null as unknown as Tensor,
      mask,
    );
    return [positions.ort_tensor, Number((deltas.data as BigInt64Array | number[])[0])];
  }

  /**
   * For each prompt position, the row of the image's features it takes (-1 for text), checking that the prompt's
   * image tokens and the features agree in number and width.
   */
  private imageRows(ids: number[], features: OrtTensor): Int32Array {
    const imageTokenId = (this.model.config as unknown as { image_token_id: number }).image_token_id;
    const rows = new Int32Array(ids.length).fill(-1);
    let feature = 0;
    for (let at = 0; at < ids.length; at++) if (ids[at] === imageTokenId) rows[at] = feature++;
    if (feature !== features.dims[0])
      throw new Error(`The prompt has ${feature} image tokens but the image gives ${features.dims[0]} features.`);
    return rows;
  }

  /** Embeddings of `ids[from:to]` with the image's feature rows at its pad positions. */
  private async promptEmbeds(
    ids: number[],
    from: number,
    to: number,
    features: OrtTensor | null,
    imageRows: Int32Array,
  ): Promise<OrtTensor> {
    const embeds = await this.decoder.embed([ids.slice(from, to)]);
    if (!features || !imageRows.subarray(from, to).some((row) => row >= 0)) return embeds;
    const width = embeds.dims[2];
    if (features.dims[1] !== width)
      throw new Error(
        `Image features are ${features.dims[1]} wide but token embeddings ${width}; reconvert the model.`,
      );
    const rows = features.data as Float32Array;
    const target = await this.decoder.read(embeds);
    for (let at = from; at < to; at++) {
      const row = imageRows[at];
      if (row >= 0) target.set(rows.subarray(row * width, (row + 1) * width), (at - from) * width);
    }
    if (embeds.location !== "gpu-buffer") return embeds;
    embeds.dispose();
    return new Tensor("float32", target, embeds.dims as number[]).ort_tensor;
  }

  private async decodeOne(
    promptLogits: Float32Array,
    decoding: Exclude<DecodingSettings, { kind: "beam" }>,
    run: RunState,
  ): Promise<GenerationOutput> {
    const seed = decoding.kind === "sample" ? (decoding.seed ?? Math.floor(Math.random() * 2 ** 32)) : null;
    const random = seed === null ? null : seededRandom(seed);
    const streamer = this.streamer(run.callbacks.onText);
    const tokenIds: number[] = [];
    let logits = promptLogits;
    let firstTokenAt = 0;
    let stopped = false;
    for (;;) {
      run.callbacks.onLogits?.(logits, tokenIds.length);
      run.processor?.(logits, tokenIds);
      const token =
        decoding.kind === "sample" && random
          ? sampleToken(logits, { temperature: decoding.temperature, topK: decoding.topK, topP: decoding.topP }, random)
          : argmax(logits);
      tokenIds.push(token);
      if (tokenIds.length === 1) firstTokenAt = performance.now();
      streamer.put([[BigInt(token)]]);
      run.callbacks.onToken?.(token, tokenIds.length);
      if (this.eosTokenIds.includes(token) || tokenIds.length >= decoding.maxNewTokens) break;
      if (await run.shouldStop()) {
        stopped = true;
        break;
      }
      logits = await this.decoder.step([token]);
    }
    streamer.end();
    return this.output(tokenIds, run, { stopped, score: null, seed, firstTokenAt });
  }

  private async decodeBeams(
    promptLogits: Float32Array,
    decoding: Extract<DecodingSettings, { kind: "beam" }>,
    run: RunState,
  ): Promise<GenerationOutput> {
    let firstTokenAt = 0;
    const view = (progress: BeamProgress): BeamView => ({
      step: progress.step,
      bestText: this.text(progress.running[0].tokens),
      bestLogProb: progress.running[0].score,
      finishedText: progress.bestFinished ? this.text(progress.bestFinished.tokens) : null,
      finishedScore: progress.bestFinished?.score ?? null,
    });
    const result = await beamSearch(
      promptLogits,
      (tokens, parents) => this.decoder.step(tokens, parents),
      {
        numBeams: decoding.numBeams,
        lengthPenalty: decoding.lengthPenalty,
        earlyStopping: decoding.earlyStopping,
        maxNewTokens: decoding.maxNewTokens,
        eosTokenIds: this.eosTokenIds,
      },
      {
        processor: run.processor,
        shouldStop: run.shouldStop,
        onProgress: (progress) => {
          if (progress.step === 1) firstTokenAt = performance.now();
          if (run.callbacks.onBeams) run.callbacks.onBeams(view(progress));
        },
      },
    );
    const text = this.text(result.tokens);
    run.callbacks.onText?.(text);
    return this.output(result.tokens, run, {
      stopped: result.stopped,
      score: result.score,
      seed: null,
      firstTokenAt,
      text,
    });
  }

  private output(
    tokenIds: number[],
    run: RunState,
    end: { stopped: boolean; score: number | null; seed: number | null; firstTokenAt: number; text?: string },
  ): GenerationOutput {
    const now = performance.now();
    const decodeSeconds = (now - end.firstTokenAt) / 1000;
    return {
      tokenIds,
      text: end.text ?? this.text(tokenIds),
      stopped: end.stopped,
      score: end.score,
      seed: end.seed,
      prefill: run.prefill,
      transfers: run.transfers(),
      firstTokenMs: end.firstTokenAt ? end.firstTokenAt - run.started : 0,
      tokensPerSecond: tokenIds.length > 1 && decodeSeconds > 0 ? (tokenIds.length - 1) / decodeSeconds : 0,
      totalMs: now - run.started,
    };
  }

  private text(ids: number[]): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  private streamer(onText: ((piece: string) => void) | undefined): { put(ids: bigint[][]): void; end(): void } {
    if (!onText) return { put: () => {}, end: () => {} };
    return new TextStreamer(this.tokenizer as never, {
      skip_prompt: false,
      skip_special_tokens: true,
      callback_function: (piece: string) => {
        if (piece) onText(piece);
      },
    });
  }
}

interface RunState {
  started: number;
  prefill: PrefillInfo;
  transfers: () => GenerationOutput["transfers"];
  callbacks: GenerationCallbacks;
  /** yields to the event loop first, so that an abort sent to a worker arrives before the answer */
  shouldStop: () => Promise<boolean>;
  processor: LogitsProcessor | undefined;
}

/**
 * Lets queued events run (a worker's incoming abort message): ONNX Runtime's runs resolve as microtasks, and a loop of
 * them alone would never let the message that aborts the signal in.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Throws the signal's reason once queued events (a worker's incoming abort message) have run. */
export async function throwIfAbortedAfterEvents(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await yieldToEventLoop();
  signal.throwIfAborted();
}

/** `positions[:, :, from:to]` of a [3, 1, S] int64 tensor. */
function slicePositions(positions: OrtTensor, from: number, to: number): OrtTensor {
  const [, , length] = positions.dims;
  if (from === 0 && to === length) return positions;
  const data = positions.data as BigInt64Array;
  const out = new BigInt64Array(3 * (to - from));
  for (let r = 0; r < 3; r++) out.set(data.subarray(r * length + from, r * length + to), r * (to - from));
  return new Tensor("int64", out, [3, 1, to - from]).ort_tensor;
}
