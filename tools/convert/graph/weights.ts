import { InlineQuantizer, type Quantizer } from "../quant/pool.ts";
import { type PlannedSlice, SlicePrefetcher } from "../quant/prefetch.ts";
import { NonFiniteBlockError, type Q4Matrix } from "../quant/q4.ts";
import type { Checkpoint, TensorInfo } from "../safetensors/read.ts";
import { float32ToFloat16Bytes, floatBytes, type GraphBuilder } from "./builder.ts";
import { makeAdd, makeGather, makeGatherBlockQuantized, makeMatMul, makeMatMulNBits, makeTranspose } from "./ops.ts";

/** Bounds on the converter's working memory per tensor. */
export interface WeightLimits {
  /** Source rows converted at once, in float32 bytes. */
  sliceBytes: number;
  /** Linear weights larger than this (as float32) are stored [out, in] behind a Transpose node instead. */
  transposeInMemoryBytes: number;
}

/** 8 MiB slices (float32); transpose in memory up to 256 MiB. */
export const DEFAULT_LIMITS: WeightLimits = { sliceBytes: 8 * 1024 * 1024, transposeInMemoryBytes: 256 * 1024 * 1024 };

/** Optional collaborators of a WeightLoader. */
export interface WeightLoaderOptions {
  signal?: AbortSignal;
  /** Called with the source bytes of each tensor (or slice) read: progress. */
  onRead?: (bytes: number) => void;
  /** Working-memory bounds (tests shrink them to exercise the streaming paths). */
  limits?: WeightLimits;
  /** Where 4-bit slices are quantised (worker threads, or inline by default); ignored when `slices` is given. */
  quantizer?: Quantizer;
  /** Row slices quantised ahead of use, shared by the loaders of one conversion (`SliceQuantizer`). */
  slices?: SliceQuantizer;
  /** Memory for scales and zero points, shared by the loaders of one conversion (they run one after another). */
  scratch?: ScratchMemory;
}

/**
 * Memory for a tensor's scales and zero points while its rows stream out, sized once for the checkpoint's largest
 * 2-D tensor and reused from tensor to tensor: first touches of fresh memory cost a page fault per 4 KiB, which
 * weighs on a fast conversion. Initializers copy or write what they are given at once, so reuse is safe.
 */
export class ScratchMemory {
  private buffer = new ArrayBuffer(0);

  /** At least `byteLength` bytes (contents undefined); the first call sizes it for all of `checkpoint`. */
  take(byteLength: number, checkpoint: Checkpoint, blockSize: number): ArrayBuffer {
    if (this.buffer.byteLength < byteLength) {
      let largest = byteLength;
      for (const { shape } of checkpoint.tensors.values()) {
        if (shape.length !== 2) continue;
        const blocks = Math.ceil(shape[1] / blockSize);
        largest = Math.max(largest, shape[0] * (blocks * 4 + Math.ceil(blocks / 2)));
      }
      this.buffer = new ArrayBuffer(largest);
    }
    return this.buffer;
  }
}

/** How a graph stores its weights. */
export interface Precision {
  /** Activations and float weights. */
  floatType: "float32" | "float16";
  /** Linear layers and embedding tables as 4-bit blocks. */
  quantize: boolean;
  blockSize: number;
}

/** The 4-bit block size of every dtype (MatMulNBits and GatherBlockQuantized blocks along K). */
export const BLOCK_SIZE = 32;

/** The output dtypes the converter writes, as transformers.js names them. */
export const PRECISIONS = {
  fp32: { floatType: "float32", quantize: false, blockSize: BLOCK_SIZE },
  fp16: { floatType: "float16", quantize: false, blockSize: BLOCK_SIZE },
  q4: { floatType: "float32", quantize: true, blockSize: BLOCK_SIZE },
  q4f16: { floatType: "float16", quantize: true, blockSize: BLOCK_SIZE },
} as const satisfies Record<string, Precision>;

/** A dtype name the converter accepts. */
export type OutputDtype = keyof typeof PRECISIONS;

/**
 * Turns checkpoint tensors into initializers and weight-bearing nodes, one tensor at a time:
 * each tensor is read, converted, written to the graph's external data and dropped.
 */
export class WeightLoader {
  private readonly signal: AbortSignal | undefined;
  private readonly onRead: (bytes: number) => void;
  private readonly limits: WeightLimits;
  private readonly slices: SliceQuantizer;
  private readonly scratch: ScratchMemory;

  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly precision: Precision,
    options: WeightLoaderOptions = {},
  ) {
    this.signal = options.signal;
    this.onRead = options.onRead ?? (() => {});
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.scratch = options.scratch ?? new ScratchMemory();
    this.slices =
      options.slices ??
      new SliceQuantizer(checkpoint, options.quantizer ?? new InlineQuantizer(), precision.blockSize, this.limits);
  }

  /** Reads a tensor as float32, reporting its size. */
  async read(name: string): Promise<Float32Array> {
    const values = await this.checkpoint.readFloat32(name, this.signal);
    this.onRead(this.checkpoint.tensors.get(name)?.byteLength ?? 0);
    return values;
  }

  /** Whether the checkpoint holds a tensor. */
  has(name: string): boolean {
    return this.checkpoint.tensors.has(name);
  }

  /** Shape of a checkpoint tensor. */
  shape(name: string): number[] {
    const info = this.checkpoint.tensors.get(name);
    if (!info) throw new Error(`Tensor ${name} is not in the checkpoint; is this a complete Qwen3-VL snapshot?`);
    return info.shape;
  }

  /** Float initializer in the graph's float type. */
  private floatInitializer(g: GraphBuilder, name: string, dims: number[], values: Float32Array): string {
    const bytes = g.floatType === "float16" ? float32ToFloat16Bytes(values) : floatBytes(values);
    return g.makeInitializer(name, g.floatType, dims, bytes);
  }

  /** A checkpoint tensor as a float initializer (norm scales, biases, tables). */
  async tensor(g: GraphBuilder, name: string, dims?: number[]): Promise<string> {
    const shape = this.shape(name);
    return this.floatInitializer(g, name, dims ?? shape, await this.read(name));
  }

  /** A checkpoint tensor read as a [rows, columns] matrix and stored transposed, [columns, rows], in memory. */
  async transposedInitializer(
    g: GraphBuilder,
    tensorName: string,
    initializerName: string,
    rows: number,
    columns: number,
  ): Promise<string> {
    const values = transpose(await this.read(tensorName), rows, columns);
    return this.floatInitializer(g, initializerName, [columns, rows], values);
  }

  /**
   * `x · Wᵀ (+ b)` for a Linear weight [out, in]: MatMulNBits when quantising (K ≥ block size), else MatMul
   * with the transposed weight (a Transpose node for weights too large to transpose in memory).
   *
   *   x ──► MatMul(Wᵀ) | MatMulNBits(W) ──► [Add(b)] ──► y
   */
  async linear(g: GraphBuilder, prefix: string, x: string, weightName: string, biasName?: string): Promise<string> {
    const [outFeatures, inFeatures] = this.shape(weightName);
    let y: string;
    if (this.precision.quantize && inFeatures >= this.precision.blockSize) {
      const blocks = Math.ceil(inFeatures / this.precision.blockSize);
      const zeroBytes = Math.ceil(blocks / 2);
      const q = await this.quantizedRows(g, weightName, {
        data: [outFeatures, blocks, this.precision.blockSize / 2],
        scales: [outFeatures * blocks],
        zeroPoints: [outFeatures * zeroBytes],
      });
      y = makeMatMulNBits(g, `${prefix}/MatMulNBits`, x, q, {
        K: inFeatures,
        N: outFeatures,
        blockSize: this.precision.blockSize,
      });
    } else if (outFeatures * inFeatures * 4 > this.limits.transposeInMemoryBytes) {
      const w = await this.floatRows(g, weightName, weightName);
      y = makeMatMul(g, `${prefix}/MatMul`, x, makeTranspose(g, `${prefix}/weight/Transpose`, w, [1, 0]));
    } else {
      const w = await this.transposedInitializer(g, weightName, `${weightName}.T`, outFeatures, inFeatures);
      y = makeMatMul(g, `${prefix}/MatMul`, x, w);
    }
    if (!biasName) return y;
    const bias = await this.tensor(g, biasName);
    return makeAdd(g, `${prefix}/Add`, y, bias);
  }

  /**
   * Rows of an embedding table [vocab, hidden]: GatherBlockQuantized over 4-bit rows when quantising, else Gather.
   */
  async embedding(g: GraphBuilder, prefix: string, tableName: string, ids: string): Promise<string> {
    const [rows, columns] = this.shape(tableName);
    if (!this.precision.quantize || columns % this.precision.blockSize !== 0) {
      const w = await this.floatRows(g, tableName, `${tableName}.rows`);
      return makeGather(g, `${prefix}/Gather`, w, ids);
    }
    const blocks = columns / this.precision.blockSize;
    const table = await this.quantizedRows(g, tableName, {
      data: [rows, columns / 2],
      scales: [rows, blocks],
      zeroPoints: [rows, Math.ceil(blocks / 2)],
      suffix: ".rows",
    });
    return makeGatherBlockQuantized(g, `${prefix}/GatherBlockQuantized`, table, ids, this.precision.blockSize);
  }

  /** Streams a 2-D tensor row slice by row slice into a float initializer of the graph's float type. */
  protected async floatRows(g: GraphBuilder, tensorName: string, initializerName: string): Promise<string> {
    const [rows, columns] = this.shape(tensorName);
    const bytesPerValue = g.floatType === "float16" ? 2 : 4;
    const info = this.checkpoint.tensors.get(tensorName);
    const sourceRowBytes = (info?.byteLength ?? 0) / rows;
    const step = rowsPerSlice(rows, columns, this.limits);
    return g.makeStreamedInitializer(
      initializerName,
      g.floatType,
      [rows, columns],
      rows * columns * bytesPerValue,
      async (append) => {
        for (let first = 0; first < rows; first += step) {
          const count = Math.min(step, rows - first);
          const values = await this.checkpoint.readRowsFloat32(tensorName, first, count, this.signal);
          this.onRead(count * sourceRowBytes);
          append(g.floatType === "float16" ? float32ToFloat16Bytes(values) : floatBytes(values));
        }
      },
    );
  }

  /**
   * Quantises a 2-D tensor to 4-bit blocks along its rows, slice by slice: the packed data streams to external
   * data, then the (small) scales and zero points follow as their own initializers.
   */
  protected async quantizedRows(
    g: GraphBuilder,
    tensorName: string,
    dims: { data: number[]; scales: number[]; zeroPoints: number[]; suffix?: string },
  ): Promise<{ data: string; scales: string; zeroPoints: string }> {
    const [rows, columns] = this.shape(tensorName);
    const { blockSize } = this.precision;
    const blocks = Math.ceil(columns / blockSize);
    const zeroBytes = Math.ceil(blocks / 2);
    const dataRowBytes = blocks * (blockSize / 2);
    const sourceRowBytes = (this.checkpoint.tensors.get(tensorName) as TensorInfo).byteLength / rows;
    const scratch = this.scratch.take(rows * blocks * 4 + rows * zeroBytes, this.checkpoint, blockSize);
    const scales = new Float32Array(scratch, 0, rows * blocks);
    const zeroPoints = new Uint8Array(scratch, rows * blocks * 4, rows * zeroBytes);
    const name = `${tensorName}${dims.suffix ?? ""}`;
    const data = await g.makeStreamedInitializer(
      `${name}.q4`,
      "uint8",
      dims.data,
      rows * dataRowBytes,
      async (append) => {
        for (const slice of this.slices.slicesOf(tensorName)) {
          const q = await this.slices.take(slice);
          this.signal?.throwIfAborted();
          scales.set(q.scales, slice.first * blocks);
          zeroPoints.set(q.zeroPoints, slice.first * zeroBytes);
          append(q.data);
          this.slices.recycle(q);
          this.onRead(slice.count * sourceRowBytes);
        }
      },
    );
    return {
      data,
      scales: this.floatInitializer(g, `${name}.scales`, dims.scales, scales),
      zeroPoints: g.makeInitializer(`${name}.zero_points`, "uint8", dims.zeroPoints, zeroPoints),
    };
  }
}

/** How many rows of a [rows, columns] tensor to convert at once: `limits.sliceBytes` worth as float32. */
function rowsPerSlice(rows: number, columns: number, limits: WeightLimits): number {
  return Math.max(1, Math.min(rows, Math.floor(limits.sliceBytes / (columns * 4))));
}

/**
 * Cuts 2-D tensors into row slices and quantises them through a Quantizer. Given a plan (the tensors the builds
 * will quantise, in order, from `PlanningLoader`s), it quantises ahead of use across tensor and session boundaries,
 * so the workers keep busy while the main thread writes.
 */
export class SliceQuantizer {
  private readonly prefetcher: SlicePrefetcher<Q4Matrix>;

  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly quantizer: Quantizer,
    private readonly blockSize: number,
    private readonly limits: WeightLimits = DEFAULT_LIMITS,
    plan: string[] = [],
  ) {
    const slices = plan.flatMap((tensor) => this.slicesOf(tensor));
    this.prefetcher = new SlicePrefetcher(slices, (slice) => this.quantize(slice), quantizer.parallelism);
  }

  /** Row slices of a 2-D tensor, in order. */
  slicesOf(tensor: string): PlannedSlice[] {
    const [rows, columns] = (this.checkpoint.tensors.get(tensor) as TensorInfo).shape;
    const step = rowsPerSlice(rows, columns, this.limits);
    const slices: PlannedSlice[] = [];
    for (let first = 0; first < rows; first += step)
      slices.push({ tensor, first, count: Math.min(step, rows - first) });
    return slices;
  }

  /** The quantised slice (launched ahead when the plan foresaw it). */
  take(slice: PlannedSlice): Promise<Q4Matrix> {
    return this.prefetcher.take(slice);
  }

  /** Slices taken that the plan did not foresee (0 when the dry runs matched the builds). */
  get unplanned(): number {
    return this.prefetcher.unplanned;
  }

  /** Hands a written slice's buffers back to the quantizer. */
  recycle(matrix: Q4Matrix): void {
    this.quantizer.recycle(matrix);
  }

  /** Reads and quantises one slice; a NaN or infinite weight names the tensor and row. */
  private quantize({ tensor, first, count }: PlannedSlice): Promise<Q4Matrix> {
    const info = this.checkpoint.tensors.get(tensor) as TensorInfo;
    const location = this.checkpoint.locateRows(tensor, first, count);
    const slice = { ...location, dtype: info.dtype, rows: count, columns: info.shape[1] };
    return this.quantizer.quantize(slice, this.blockSize).catch((error: Error) => {
      if (!(error instanceof NonFiniteBlockError)) throw error;
      throw new Error(`Tensor ${tensor}: ${new NonFiniteBlockError(first + error.row).message}`);
    });
  }
}

/**
 * Runs a session's build without reading or writing weights: every weight initializer is planned at its size
 * (`GraphBuilder.makePlannedInitializer`), so a builder with a planning writer gives the files' exact sizes, and the
 * order in which tensors are quantised is recorded: the plan a WeightLoader follows to quantise ahead.
 */
export class PlanningLoader extends WeightLoader {
  readonly quantized: string[] = [];

  override async tensor(g: GraphBuilder, name: string, dims?: number[]): Promise<string> {
    return g.makePlannedInitializer(name, g.floatType, dims ?? this.shape(name));
  }

  override async transposedInitializer(
    g: GraphBuilder,
    _tensorName: string,
    initializerName: string,
    rows: number,
    columns: number,
  ) {
    return g.makePlannedInitializer(initializerName, g.floatType, [columns, rows]);
  }

  protected override async floatRows(g: GraphBuilder, tensorName: string, initializerName: string): Promise<string> {
    return g.makePlannedInitializer(initializerName, g.floatType, this.shape(tensorName));
  }

  protected override async quantizedRows(
    g: GraphBuilder,
    tensorName: string,
    dims: { data: number[]; scales: number[]; zeroPoints: number[]; suffix?: string },
  ): Promise<{ data: string; scales: string; zeroPoints: string }> {
    this.quantized.push(tensorName);
    const name = `${tensorName}${dims.suffix ?? ""}`;
    return {
      data: g.makePlannedInitializer(`${name}.q4`, "uint8", dims.data),
      scales: g.makePlannedInitializer(`${name}.scales`, g.floatType, dims.scales),
      zeroPoints: g.makePlannedInitializer(`${name}.zero_points`, "uint8", dims.zeroPoints),
    };
  }
}

/** Tile edge of `transpose`: a 32×32 float32 tile of reads and one of writes stay within L1 and a few pages. */
const TRANSPOSE_TILE = 32;

/**
 * Row-major [rows, columns] → [columns, rows], tile by tile: a plain column walk writes one element per page
 * (patch embedding: 1024 rows of 1536), which costs a TLB miss per element.
 */
export function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r0 = 0; r0 < rows; r0 += TRANSPOSE_TILE) {
    const rEnd = Math.min(rows, r0 + TRANSPOSE_TILE);
    for (let c0 = 0; c0 < columns; c0 += TRANSPOSE_TILE) {
      const cEnd = Math.min(columns, c0 + TRANSPOSE_TILE);
      for (let c = c0; c < cEnd; c++) {
        const target = c * rows;
        for (let r = r0; r < rEnd; r++) out[target + r] = values[r * columns + c];
      }
    }
  }
  return out;
}
