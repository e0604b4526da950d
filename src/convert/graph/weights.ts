import { type PlannedSlice, SlicePrefetcher } from "../quant/prefetch.ts";
import { NonFiniteBlockError, type Q4Matrix } from "../quant/q4.ts";
import type { Quantizer } from "../quant/quantizer.ts";
import type { Checkpoint, TensorInfo } from "../safetensors/read.ts";
import { type ElementType, float32ToFloat16Bytes, floatBytes, type GraphBuilder } from "./builder.ts";
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
  /** Where 4-bit slices are quantised; ignored when `slices` is given (a dry run needs neither). */
  quantizer?: Quantizer;
  /** Row slices quantised ahead of use, shared by the loaders of one conversion (`SliceQuantizer`). */
  slices?: SliceQuantizer;
  /** Memory for scales and zero points, shared by the loaders of one conversion (they run one after another). */
  scratch?: ScratchMemory;
  /** Called when a checkpoint tensor has been converted (or stepped over): progress. */
  onTensor?: () => void;
  /** Called each time a piece of weights has reached its file: a point from which a conversion can resume. */
  onWritten?: (partial: PartialTensor | null) => void;
  /** The tensor a resumed conversion was in the middle of, with the scales of the rows it had written. */
  resumeFrom?: PartialTensor | null;
}

/**
 * A tensor being quantised, part-way: the scales and zero points of its first `rows` rows, which are written to the
 * file only after its last row. A conversion that resumes inside it needs them to step over the rows written.
 */
export interface PartialTensor {
  tensor: string;
  rows: number;
  /** float32 scales of rows [0, rows), row-major */
  scales: Float32Array;
  /** packed zero points of rows [0, rows) */
  zeroPoints: Uint8Array;
}

/** One initializer a loader call makes: what a resumed conversion checks is already written. */
interface PlannedInitializer {
  name: string;
  type: ElementType;
  dims: number[];
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

/** The quantizer of a loader given none: a dry run, which quantises nothing. */
const NO_QUANTIZER: Quantizer = {
  parallelism: 1,
  quantize: () => Promise.reject(new Error("This weight loader was given no quantizer; pass one to quantise.")),
  recycle: () => {},
  close: async () => {},
};

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
  private readonly onWritten: (partial: PartialTensor | null) => void;
  private readonly onTensor: () => void;
  private readonly resumeFrom: PartialTensor | null;
  /** Checkpoint tensors converted or planned so far. */
  tensorsRead = 0;

  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly precision: Precision,
    options: WeightLoaderOptions = {},
  ) {
    this.signal = options.signal;
    this.onRead = options.onRead ?? (() => {});
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.scratch = options.scratch ?? new ScratchMemory();
    this.onWritten = options.onWritten ?? (() => {});
    this.onTensor = options.onTensor ?? (() => {});
    this.resumeFrom = options.resumeFrom ?? null;
    this.slices =
      options.slices ??
      new SliceQuantizer(checkpoint, options.quantizer ?? NO_QUANTIZER, precision.blockSize, this.limits);
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

  /** Counts one checkpoint tensor as done and passes on what it made. */
  protected done<T>(made: T): T {
    this.tensorsRead++;
    this.onTensor();
    return made;
  }

  /** Float initializer in the graph's float type. */
  private floatInitializer(g: GraphBuilder, name: string, dims: number[], values: Float32Array): string {
    const bytes = g.floatType === "float16" ? float32ToFloat16Bytes(values) : floatBytes(values);
    return g.makeInitializer(name, g.floatType, dims, bytes);
  }

  /** A checkpoint tensor as a float initializer (norm scales, biases, tables). */
  async tensor(g: GraphBuilder, name: string, dims?: number[]): Promise<string> {
    const shape = dims ?? this.shape(name);
    if (this.stepsOver(g, name, [{ name, type: g.floatType, dims: shape }]))
      return this.done(planTensor(g, name, shape));
    const made = this.floatInitializer(g, name, shape, await this.read(name));
    this.onWritten(null);
    return this.done(made);
  }

  /**
   * In a resumed conversion, whether the initializers a call would make are all in bytes already written: then it
   * plans them (their places, no weights read) and counts the tensor as read.
   */
  private stepsOver(g: GraphBuilder, tensorName: string, initializers: PlannedInitializer[]): boolean {
    if (!g.holdsNext(initializers)) return false;
    this.onRead(this.checkpoint.tensors.get(tensorName)?.byteLength ?? 0);
    return true;
  }

  /** A checkpoint tensor read as a [rows, columns] matrix and stored transposed, [columns, rows], in memory. */
  async transposedInitializer(
    g: GraphBuilder,
    tensorName: string,
    initializerName: string,
    rows: number,
    columns: number,
  ): Promise<string> {
    const dims = [columns, rows];
    if (this.stepsOver(g, tensorName, [{ name: initializerName, type: g.floatType, dims }])) {
      return this.done(planTensor(g, initializerName, dims));
    }
    const values = transpose(await this.read(tensorName), rows, columns);
    const made = this.floatInitializer(g, initializerName, dims, values);
    this.onWritten(null);
    return this.done(made);
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
    const made = await g.makeStreamedInitializer(
      initializerName,
      g.floatType,
      [rows, columns],
      rows * columns * bytesPerValue,
      async (append, stepOver) => {
        for (let first = 0; first < rows; first += step) {
          const count = Math.min(step, rows - first);
          this.onRead(count * sourceRowBytes);
          if (stepOver(count * columns * bytesPerValue)) continue;
          const values = await this.checkpoint.readRowsFloat32(tensorName, first, count, this.signal);
          append(g.floatType === "float16" ? float32ToFloat16Bytes(values) : floatBytes(values));
          this.onWritten(null);
        }
      },
    );
    return this.done(made);
  }

  /**
   * Quantises a 2-D tensor to 4-bit blocks along its rows, slice by slice: the packed data streams to external
   * data, then the (small) scales and zero points follow as their own initializers.
   */
  protected async quantizedRows(
    g: GraphBuilder,
    tensorName: string,
    dims: QuantizedDims,
  ): Promise<{ data: string; scales: string; zeroPoints: string }> {
    if (this.stepsOver(g, tensorName, quantizedInitializers(g, tensorName, dims))) {
      this.slices.stepOver(this.slices.slicesOf(tensorName));
      return this.done(planQuantized(g, tensorName, dims));
    }
    const [rows, columns] = this.shape(tensorName);
    const { blockSize } = this.precision;
    const blocks = Math.ceil(columns / blockSize);
    const zeroBytes = Math.ceil(blocks / 2);
    const dataRowBytes = blocks * (blockSize / 2);
    const sourceRowBytes = (this.checkpoint.tensors.get(tensorName) as TensorInfo).byteLength / rows;
    const scratch = this.scratch.take(rows * blocks * 4 + rows * zeroBytes, this.checkpoint, blockSize);
    const scales = new Float32Array(scratch, 0, rows * blocks);
    const zeroPoints = new Uint8Array(scratch, rows * blocks * 4, rows * zeroBytes);
    const resumed = this.resumeFrom?.tensor === tensorName ? this.resumeFrom : null;
    if (resumed) {
      scales.set(resumed.scales.subarray(0, resumed.rows * blocks));
      zeroPoints.set(resumed.zeroPoints.subarray(0, resumed.rows * zeroBytes));
    }
    const name = `${tensorName}${dims.suffix ?? ""}`;
    const data = await g.makeStreamedInitializer(
      `${name}.q4`,
      "uint8",
      dims.data,
      rows * dataRowBytes,
      async (append, stepOver) => {
        for (const slice of this.slices.slicesOf(tensorName)) {
          this.onRead(slice.count * sourceRowBytes);
          // Rows written before a resume are stepped over only with their scales at hand.
          const end = slice.first + slice.count;
          if (resumed && end <= resumed.rows && stepOver(slice.count * dataRowBytes)) {
            this.slices.stepOver([slice]);
            continue;
          }
          const q = await this.slices.take(slice);
          this.signal?.throwIfAborted();
          scales.set(q.scales, slice.first * blocks);
          zeroPoints.set(q.zeroPoints, slice.first * zeroBytes);
          append(q.data);
          this.slices.recycle(q);
          this.onWritten({
            tensor: tensorName,
            rows: end,
            scales: scales.subarray(0, end * blocks),
            zeroPoints: zeroPoints.subarray(0, end * zeroBytes),
          });
        }
      },
    );
    const made = {
      data,
      scales: this.floatInitializer(g, `${name}.scales`, dims.scales, scales),
      zeroPoints: g.makeInitializer(`${name}.zero_points`, "uint8", dims.zeroPoints, zeroPoints),
    };
    this.onWritten(null);
    return this.done(made);
  }
}

/** Shapes of a quantised tensor's three initializers, and the suffix of their names. */
interface QuantizedDims {
  data: number[];
  scales: number[];
  zeroPoints: number[];
  suffix?: string;
}

function quantizedInitializers(g: GraphBuilder, tensorName: string, dims: QuantizedDims): PlannedInitializer[] {
  const name = `${tensorName}${dims.suffix ?? ""}`;
  return [
    { name: `${name}.q4`, type: "uint8", dims: dims.data },
    { name: `${name}.scales`, type: g.floatType, dims: dims.scales },
    { name: `${name}.zero_points`, type: "uint8", dims: dims.zeroPoints },
  ];
}

/** A float initializer's place, planned: no bytes read or made. */
function planTensor(g: GraphBuilder, name: string, dims: number[]): string {
  return g.makePlannedInitializer(name, g.floatType, dims);
}

/** A quantised tensor's three initializers, planned. */
function planQuantized(g: GraphBuilder, tensorName: string, dims: QuantizedDims) {
  const [data, scales, zeroPoints] = quantizedInitializers(g, tensorName, dims).map((i) =>
    g.makePlannedInitializer(i.name, i.type, i.dims),
  );
  return { data, scales, zeroPoints };
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

  /** Tells the prefetcher that these slices, written before a resume, will not be taken. */
  stepOver(slices: PlannedSlice[]): void {
    for (const slice of slices) this.prefetcher.pass(slice);
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
    return this.done(planTensor(g, name, dims ?? this.shape(name)));
  }

  override async transposedInitializer(
    g: GraphBuilder,
    _tensorName: string,
    initializerName: string,
    rows: number,
    columns: number,
  ) {
    return this.done(planTensor(g, initializerName, [columns, rows]));
  }

  protected override async floatRows(g: GraphBuilder, tensorName: string, initializerName: string): Promise<string> {
    return this.done(planTensor(g, initializerName, this.shape(tensorName)));
  }

  protected override async quantizedRows(g: GraphBuilder, tensorName: string, dims: QuantizedDims) {
    this.quantized.push(tensorName);
    return this.done(planQuantized(g, tensorName, dims));
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
