/**
 * The converted Qwen3-VL decoder run step by step over its ONNX sessions with an explicit KV cache: prefill from
 * `inputs_embeds`, single-token steps for any number of rows, the cache gathered by row (beam search) or cut to a
 * prefix (a follow-up question that shares the prompt's start) by the folder's `kv_cache_reorder` graph, where the
 * cache lives. The same code runs on onnxruntime-node and onnxruntime-web; on WebGPU the cache and the token
 * embeddings stay in GPU buffers, and only the logits cross to the CPU at each step.
 */
import { Tensor } from "@huggingface/transformers";
import { CacheReorderMissingError } from "../model-errors";
import type { GeoZeroQwen3VL } from "../qwen3-vl/model";

/** An ONNX Runtime tensor as transformers.js holds it (onnxruntime-node or onnxruntime-web). */
export type OrtTensor = Tensor["ort_tensor"];

/** The part of an ONNX Runtime session this module uses. */
export interface OrtSession {
  inputNames: readonly string[];
  inputMetadata: ReadonlyArray<{
    name: string;
    isTensor: boolean;
    type?: string;
    shape?: ReadonlyArray<number | string>;
  }>;
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}

export function sessionOf(model: GeoZeroQwen3VL, name: string): OrtSession {
  const session = optionalSessionOf(model, name);
  if (!session) throw new Error(`The model has no "${name}" session; is this a converted Qwen3-VL folder?`);
  return session;
}

/** The session the loaders attach from `onnx/kv_cache_reorder*.onnx` (older folders lack it). */
export const CACHE_REORDER_SESSION = "kv_cache_reorder";

export function optionalSessionOf(model: GeoZeroQwen3VL, name: string): OrtSession | undefined {
  return (model.sessions as Record<string, OrtSession | undefined>)[name];
}

export function int64Tensor(values: ArrayLike<number | bigint>, dims: number[]): OrtTensor {
  return new Tensor("int64", BigInt64Array.from(values as ArrayLike<number>, BigInt), dims).ort_tensor;
}

function bytesOf(tensor: OrtTensor): number {
  return tensor.size * (tensor.type === "float16" ? 2 : tensor.type === "int64" ? 8 : 4);
}

function disposeIfGpu(tensor: OrtTensor | undefined): void {
  if (tensor?.location === "gpu-buffer") tensor.dispose();
}

/**
 * Bytes that crossed from the device to JavaScript memory in generation: on a GPU, every decoder output that came back
 * to the CPU, every download, and the vision encoder's features; on the CPU, the outputs the generation code reads
 * (logits, prompt embeddings, image features).
 */
export interface TransferCount {
  bytesToCpu: number;
  /** single-token decoder steps run */
  steps: number;
}

/** One decoder session with its KV cache. */
export class KvDecoder {
  private past: Record<string, OrtTensor> = {};
  /** tokens held in the cache */
  length = 0;
  /** rows in the cache */
  rows = 1;
  /** decode positions are `length + ropeDelta` (multimodal positions compress the image) */
  ropeDelta = 0;
  readonly transfers: TransferCount = { bytesToCpu: 0, steps: 0 };
  private readonly cacheNames: string[];
  private readonly keepsLogits: boolean;
  /** set once the decoder has returned its cache in GPU buffers */
  private onGpu = false;

  constructor(
    private readonly decoder: OrtSession,
    private readonly embedTokens: OrtSession,
    private readonly reorder?: OrtSession,
  ) {
    this.cacheNames = decoder.inputNames.filter((name) => name.startsWith("past_key_values."));
    this.keepsLogits = decoder.inputNames.includes("num_logits_to_keep");
    this.reset();
  }

  /** Whether the cache can be gathered by row or cut (the folder has the reorder graph). */
  get canReorder(): boolean {
    return this.reorder !== undefined;
  }

  /** Empties the cache. */
  reset(): void {
    this.disposePast();
    this.past = {};
    for (const meta of this.decoder.inputMetadata) {
      if (!this.cacheNames.includes(meta.name)) continue;
      const dims = (meta.shape ?? []).map((d) => (typeof d === "number" ? d : 0));
      dims[0] = 1;
      const ArrayType = meta.type === "float16" ? Uint16Array : Float32Array;
      this.past[meta.name] = new Tensor(meta.type as "float32", new ArrayType(0) as Float32Array, dims).ort_tensor;
    }
    this.length = 0;
    this.rows = 1;
    this.ropeDelta = 0;
  }

  /** `inputs_embeds` of token ids, [rows, n, width], where the embedding session leaves them (GPU or CPU). */
  async embed(ids: number[][]): Promise<OrtTensor> {
    const width = ids[0].length;
    const { inputs_embeds } = await this.embedTokens.run({ input_ids: int64Tensor(ids.flat(), [ids.length, width]) });
    this.countReturned(inputs_embeds);
    return inputs_embeds;
  }

  /** The values of an output in JavaScript memory (downloaded from the GPU when it is there), counted. */
  async read(tensor: OrtTensor): Promise<Float32Array> {
    if (tensor.location === "gpu-buffer") {
      const data = (await tensor.getData()) as Float32Array;
      this.transfers.bytesToCpu += bytesOf(tensor);
      return data;
    }
    if (!this.onGpu) this.transfers.bytesToCpu += bytesOf(tensor);
    return tensor.data as Float32Array;
  }

  /**
   * Counts an output of another session (the vision encoder's features) that the generation code reads from
   * JavaScript memory: on a GPU it was downloaded when its session ran.
   */
  countOtherOutput(tensor: OrtTensor): void {
    if (tensor.location !== "gpu-buffer") this.transfers.bytesToCpu += bytesOf(tensor);
  }

  /** Counts an output that a GPU run returned to the CPU (ONNX Runtime downloaded it, whether read or not). */
  private countReturned(tensor: OrtTensor): void {
    if (this.onGpu && tensor.location !== "gpu-buffer") this.transfers.bytesToCpu += bytesOf(tensor);
  }

  /**
   * Runs the decoder on `embeds` [rows, n, width] after the cache with the given positions ([3, rows, n]); returns the
   * logits of the last position of each row, concatenated.
   */
  async run(embeds: OrtTensor, positions: OrtTensor): Promise<Float32Array> {
    const { logits: output, rows } = await this.forward(embeds, positions);
    const [, kept, vocab] = output.dims;
    const logits = await this.read(output);
    if (kept === 1) return logits;
    const last = new Float32Array(rows * vocab);
    for (let r = 0; r < rows; r++)
      last.set(logits.subarray((r * kept + kept - 1) * vocab, (r * kept + kept) * vocab), r * vocab);
    return last;
  }

  /** Runs the decoder on `embeds` after the cache like {@link run}, for the cache only: the logits are not read. */
  async extend(embeds: OrtTensor, positions: OrtTensor): Promise<void> {
    const { logits } = await this.forward(embeds, positions);
    disposeIfGpu(logits);
  }

  private async forward(embeds: OrtTensor, positions: OrtTensor): Promise<{ logits: OrtTensor; rows: number }> {
    const [rows, n] = embeds.dims;
    const total = this.length + n;
    const feeds: Record<string, OrtTensor> = {
      inputs_embeds: embeds,
      attention_mask: int64Tensor(new Array(rows * total).fill(1), [rows, total]),
      position_ids: positions,
      ...this.past,
    };
    if (this.keepsLogits) feeds.num_logits_to_keep = int64Tensor([1], []);
    const out = await this.decoder.run(feeds);
    disposeIfGpu(embeds);
    this.replacePast(out);
    this.length = total;
    this.rows = rows;
    this.countReturned(out.logits);
    return { logits: out.logits, rows };
  }

  /** One token per row after the cache; `parents[r]` is the cache row that row `r` continues (default: itself). */
  async step(tokens: number[], parents?: number[]): Promise<Float32Array> {
    if (parents) await this.gather(parents);
    if (tokens.length !== this.rows)
      throw new Error(`step got ${tokens.length} tokens for a cache of ${this.rows} rows`);
    const position = this.length + this.ropeDelta;
    const positions = int64Tensor(new Array(3 * tokens.length).fill(position), [3, tokens.length, 1]);
    this.transfers.steps++;
    return this.run(await this.embed(tokens.map((t) => [t])), positions);
  }

  /**
   * Rebuilds the cache so that row `r` holds old row `rows[r]` (a no-op when nothing moves). A one-row cache stands
   * for any number of copies of its row (beam search starts every beam from the prompt's).
   */
  async gather(rows: number[]): Promise<void> {
    const picked = this.rows === 1 ? rows.map(() => 0) : rows;
    if (picked.length === this.rows && picked.every((row, i) => row === i)) return;
    await this.reorderCache(picked, this.length);
  }

  /** Keeps the first `length` positions of row 0 only (the shared prefix of a follow-up question). */
  async truncate(length: number): Promise<void> {
    if (length > this.length) throw new Error(`cannot cut a cache of ${this.length} tokens to ${length}`);
    if (this.rows === 1 && length === this.length) return;
    await this.reorderCache([0], length);
  }

  /** Runs the reorder graph on the cache where it lives: rows picked, positions cut. */
  private async reorderCache(rows: number[], length: number): Promise<void> {
    if (!this.reorder) throw new CacheReorderMissingError();
    const out = await this.reorder.run({
      ...this.past,
      rows: int64Tensor(rows, [rows.length]),
      length: int64Tensor([length], [1]),
    });
    this.replacePast(out);
    this.rows = rows.length;
    this.length = length;
  }

  /** Takes `present.*` outputs as the new cache, disposing the old one. */
  private replacePast(out: Record<string, OrtTensor>): void {
    this.disposePast();
    this.past = {};
    for (const name of this.cacheNames) {
      const present = out[name.replace("past_key_values.", "present.")];
      if (present.location === "gpu-buffer") this.onGpu = true;
      else this.countReturned(present);
      this.past[name] = present;
    }
  }

  private disposePast(): void {
    for (const tensor of Object.values(this.past)) disposeIfGpu(tensor);
  }

  dispose(): void {
    this.disposePast();
    this.past = {};
  }
}
