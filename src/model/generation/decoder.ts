/**
 * The converted Qwen3-VL decoder run step by step over its ONNX sessions with an explicit KV cache: prefill from
 * `inputs_embeds`, single-token steps for any number of rows, the cache gathered by row (beam search) or cut to a
 * prefix (a follow-up question that shares the prompt's start). The same code runs on onnxruntime-node and
 * onnxruntime-web; on WebGPU the cache stays in GPU buffers and is read back only to gather or cut it.
 */
import { Tensor } from "@huggingface/transformers";
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

type CacheArray = Float32Array | Uint16Array;

export function sessionOf(model: GeoZeroQwen3VL, name: string): OrtSession {
  const session = (model.sessions as Record<string, OrtSession | undefined>)[name];
  if (!session) throw new Error(`The model has no "${name}" session; is this a converted Qwen3-VL folder?`);
  return session;
}

export function int64Tensor(values: ArrayLike<number | bigint>, dims: number[]): OrtTensor {
  return new Tensor("int64", BigInt64Array.from(values as ArrayLike<number>, BigInt), dims).ort_tensor;
}

function float16ArrayType(): new (length: number) => CacheArray {
  const native = (globalThis as { Float16Array?: new (length: number) => CacheArray }).Float16Array;
  return native ?? Uint16Array;
}

async function cpuData(tensor: OrtTensor): Promise<CacheArray> {
  return (tensor.location === "gpu-buffer" ? await tensor.getData() : tensor.data) as CacheArray;
}

function disposeIfGpu(tensor: OrtTensor | undefined): void {
  if (tensor?.location === "gpu-buffer") tensor.dispose();
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
  private readonly cacheNames: string[];
  private readonly keepsLogits: boolean;

  constructor(
    private readonly decoder: OrtSession,
    private readonly embedTokens: OrtSession,
  ) {
    this.cacheNames = decoder.inputNames.filter((name) => name.startsWith("past_key_values."));
    this.keepsLogits = decoder.inputNames.includes("num_logits_to_keep");
    this.reset();
  }

  /** Empties the cache. */
  reset(): void {
    this.disposePast();
    this.past = {};
    for (const meta of this.decoder.inputMetadata) {
      if (!this.cacheNames.includes(meta.name)) continue;
      const dims = (meta.shape ?? []).map((d) => (typeof d === "number" ? d : 0));
      dims[0] = 1;
      const ArrayType = meta.type === "float16" ? float16ArrayType() : Float32Array;
      this.past[meta.name] = new Tensor(meta.type as "float32", new ArrayType(0) as Float32Array, dims).ort_tensor;
    }
    this.length = 0;
    this.rows = 1;
    this.ropeDelta = 0;
  }

  /** `inputs_embeds` of token ids, [rows, n, width]. */
  async embed(ids: number[][]): Promise<OrtTensor> {
    const width = ids[0].length;
    const { inputs_embeds } = await this.embedTokens.run({ input_ids: int64Tensor(ids.flat(), [ids.length, width]) });
    return inputs_embeds;
  }

  /**
   * Runs the decoder on `embeds` [rows, n, width] after the cache with the given positions ([3, rows, n]); returns the
   * logits of the last position of each row, concatenated.
   */
  async run(embeds: OrtTensor, positions: OrtTensor): Promise<Float32Array> {
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
    this.disposePast();
    this.past = {};
    for (const name of this.cacheNames) this.past[name] = out[name.replace("past_key_values.", "present.")];
    this.length = total;
    this.rows = rows;
    const [, kept, vocab] = out.logits.dims;
    const logits = out.logits.data as Float32Array;
    if (kept === 1) return logits;
    const last = new Float32Array(rows * vocab);
    for (let r = 0; r < rows; r++)
      last.set(logits.subarray((r * kept + kept - 1) * vocab, (r * kept + kept) * vocab), r * vocab);
    return last;
  }

  /** One token per row after the cache; `parents[r]` is the cache row that row `r` continues (default: itself). */
  async step(tokens: number[], parents?: number[]): Promise<Float32Array> {
    if (parents) await this.gather(parents);
    if (tokens.length !== this.rows)
      throw new Error(`step got ${tokens.length} tokens for a cache of ${this.rows} rows`);
    const position = this.length + this.ropeDelta;
    const positions = int64Tensor(new Array(3 * tokens.length).fill(position), [3, tokens.length, 1]);
    return this.run(await this.embed(tokens.map((t) => [t])), positions);
  }

  /** Rebuilds the cache so that row `r` holds old row `rows[r]` (a no-op when nothing moves). */
  async gather(rows: number[]): Promise<void> {
    if (rows.length === this.rows && rows.every((row, i) => row === i)) return;
    await this.rebuild(rows, this.length);
  }

  /** Keeps the first `length` positions of row 0 only (the shared prefix of a follow-up question). */
  async truncate(length: number): Promise<void> {
    if (length > this.length) throw new Error(`cannot cut a cache of ${this.length} tokens to ${length}`);
    if (this.rows === 1 && length === this.length) return;
    await this.rebuild([0], length);
  }

  private async rebuild(rows: number[], length: number): Promise<void> {
    const next: Record<string, OrtTensor> = {};
    for (const name of this.cacheNames) {
      const old = this.past[name];
      const [, heads, oldLength, headDim] = old.dims;
      const data = await cpuData(old);
      const ArrayType = data.constructor as new (n: number) => CacheArray;
      const out = new ArrayType(rows.length * heads * length * headDim);
      const rowSize = heads * length * headDim;
      for (let r = 0; r < rows.length; r++) {
        for (let h = 0; h < heads; h++) {
          const from = (rows[r] * heads + h) * oldLength * headDim;
          out.set(data.subarray(from, from + length * headDim), r * rowSize + h * length * headDim);
        }
      }
      next[name] = new Tensor(old.type as "float32", out as Float32Array, [
        rows.length,
        heads,
        length,
        headDim,
      ]).ort_tensor;
    }
    this.disposePast();
    this.past = next;
    this.rows = rows.length;
    this.length = length;
  }

  private disposePast(): void {
    for (const tensor of Object.values(this.past)) disposeIfGpu(tensor);
  }

  dispose(): void {
    this.disposePast();
    this.past = {};
  }
}
