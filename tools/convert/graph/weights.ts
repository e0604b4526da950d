import { quantizeQ4 } from "../quant/q4.ts";
import type { Checkpoint } from "../safetensors/read.ts";
import { float32ToFloat16Bytes, floatBytes, type GraphBuilder } from "./builder.ts";
import { makeAdd, makeGather, makeGatherBlockQuantized, makeMatMul, makeMatMulNBits } from "./ops.ts";

/** How a graph stores its weights. */
export interface Precision {
  /** Activations and float weights. */
  floatType: "float32" | "float16";
  /** Linear layers and embedding tables as 4-bit blocks. */
  quantize: boolean;
  blockSize: number;
}

/** The output dtypes the converter writes, as transformers.js names them. */
export const PRECISIONS = {
  fp32: { floatType: "float32", quantize: false, blockSize: 32 },
  fp16: { floatType: "float16", quantize: false, blockSize: 32 },
  q4: { floatType: "float32", quantize: true, blockSize: 32 },
  q4f16: { floatType: "float16", quantize: true, blockSize: 32 },
} as const satisfies Record<string, Precision>;

/** A dtype name the converter accepts. */
export type OutputDtype = keyof typeof PRECISIONS;

/**
 * Turns checkpoint tensors into initializers and weight-bearing nodes, one tensor at a time:
 * each tensor is read, converted, written to the graph's external data and dropped.
 */
export class WeightLoader {
  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly precision: Precision,
    private readonly signal?: AbortSignal,
    /** Called with the source bytes of each tensor read (progress). */
    private readonly onRead: (bytes: number) => void = () => {},
  ) {}

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
  floatInitializer(g: GraphBuilder, name: string, dims: number[], values: Float32Array): string {
    const bytes = g.floatType === "float16" ? float32ToFloat16Bytes(values) : floatBytes(values);
    return g.makeInitializer(name, g.floatType, dims, bytes);
  }

  /** A checkpoint tensor as a float initializer (norm scales, biases, tables). */
  async tensor(g: GraphBuilder, name: string, dims?: number[]): Promise<string> {
    const shape = this.shape(name);
    return this.floatInitializer(g, name, dims ?? shape, await this.read(name));
  }

  /**
   * `x · Wᵀ (+ b)` for a Linear weight [out, in]: MatMulNBits when quantising (K ≥ block size), else MatMul
   * with the transposed weight.
   *
   *   x ──► MatMul(Wᵀ) | MatMulNBits(W) ──► [Add(b)] ──► y
   */
  async linear(g: GraphBuilder, prefix: string, x: string, weightName: string, biasName?: string): Promise<string> {
    const [outFeatures, inFeatures] = this.shape(weightName);
    const weight = await this.read(weightName);
    let y: string;
    if (this.precision.quantize && inFeatures >= this.precision.blockSize) {
      const q = quantizeQ4(weight, outFeatures, inFeatures, this.precision.blockSize);
      const data = g.makeInitializer(
        `${weightName}.q4`,
        "uint8",
        [outFeatures, q.blocksPerRow, q.blockSize / 2],
        q.data,
      );
      const scales = this.floatInitializer(g, `${weightName}.scales`, [outFeatures * q.blocksPerRow], q.scales);
      const zeroPoints = g.makeInitializer(`${weightName}.zero_points`, "uint8", [q.zeroPoints.length], q.zeroPoints);
      y = makeMatMulNBits(
        g,
        `${prefix}/MatMulNBits`,
        x,
        { data, scales, zeroPoints },
        {
          K: inFeatures,
          N: outFeatures,
          blockSize: q.blockSize,
        },
      );
    } else {
      const transposed = transpose(weight, outFeatures, inFeatures);
      const w = this.floatInitializer(g, `${weightName}.T`, [inFeatures, outFeatures], transposed);
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
    const table = await this.read(tableName);
    if (!this.precision.quantize || columns % this.precision.blockSize !== 0) {
      const w = this.floatInitializer(g, tableName, [rows, columns], table);
      return makeGather(g, `${prefix}/Gather`, w, ids);
    }
    const q = quantizeQ4(table, rows, columns, this.precision.blockSize);
    const data = g.makeInitializer(`${tableName}.rows.q4`, "uint8", [rows, columns / 2], q.data);
    const scales = this.floatInitializer(g, `${tableName}.rows.scales`, [rows, q.blocksPerRow], q.scales);
    const zeroPoints = g.makeInitializer(
      `${tableName}.rows.zero_points`,
      "uint8",
      [rows, Math.ceil(q.blocksPerRow / 2)],
      q.zeroPoints,
    );
    return makeGatherBlockQuantized(
      g,
      `${prefix}/GatherBlockQuantized`,
      { data, scales, zeroPoints },
      ids,
      q.blockSize,
    );
  }
}

/** Row-major [rows, columns] → [columns, rows]. */
export function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    for (let c = 0; c < columns; c++) out[c * rows + r] = values[base + c];
  }
  return out;
}
