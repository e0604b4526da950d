import type { ByteSource } from "../../io/source.ts";
import type { SafetensorsDtype } from "../safetensors/read.ts";
import type { Q4Matrix } from "./q4.ts";
import { Q4Kernel } from "./q4-kernel.ts";

/** Rows of a checkpoint tensor to quantise: where their bytes are and what they hold. */
export interface RowSlice {
  source: ByteSource;
  offset: number;
  byteLength: number;
  dtype: SafetensorsDtype;
  rows: number;
  columns: number;
}

/** What a quantiser needs: read raw checkpoint rows and quantise them to 4-bit blocks. */
export interface Quantizer {
  /** Reads and quantises the rows of `slice`; rejects with `NonFiniteBlockError` for NaN or infinite weights. */
  quantize(slice: RowSlice, blockSize: number): Promise<Q4Matrix>;
  /** Hands back a result whose bytes have been used, so its buffers can be filled again. */
  recycle(matrix: Q4Matrix): void;
  /** How many slices are worth keeping in flight. */
  readonly parallelism: number;
  close(): Promise<void>;
}

/** The kernel's WebAssembly binary (q4-kernel.wasm beside this module), as each host reads its own files. */
export type KernelBinary = () => Promise<Uint8Array<ArrayBuffer>>;

/** Where the kernel's binary is: a file URL under Node, an asset URL in a browser bundle. */
export const Q4_KERNEL_URL = new URL("./q4-kernel.wasm", import.meta.url);

/** Quantises on the calling thread with the same kernel (tests, and where workers cannot start). */
export class InlineQuantizer implements Quantizer {
  readonly parallelism = 1;
  private kernel: Promise<Q4Kernel> | undefined;

  constructor(private readonly binary: KernelBinary) {}

  async quantize(slice: RowSlice, blockSize: number): Promise<Q4Matrix> {
    this.kernel ??= this.binary().then((wasm) => Q4Kernel.create(wasm));
    const kernel = await this.kernel;
    const raw = await slice.source.getBytes(slice.offset, slice.byteLength);
    const q = kernel.quantizeSlice(raw, slice.dtype, slice.rows, slice.columns, blockSize);
    return { ...q, data: q.data.slice(), scales: q.scales.slice(), zeroPoints: q.zeroPoints.slice() };
  }

  recycle(): void {}

  async close(): Promise<void> {}
}
