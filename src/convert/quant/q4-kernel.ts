import { DTYPE_BYTES, type SafetensorsDtype, toFloat32 } from "../safetensors/read.ts";
import { NonFiniteBlockError, type Q4Matrix, quantizeQ4Raw } from "./q4.ts";

/** The WebAssembly SIMD kernel's exports (q4-kernel.wat). */
interface KernelExports {
  memory: WebAssembly.Memory;
  quantize(
    src: number,
    isF32: number,
    rows: number,
    blocksPerRow: number,
    data: number,
    scales: number,
    zeros: number,
  ): number;
}

/** The block size the kernel is written for (eight float32x4 lanes). */
const KERNEL_BLOCK = 32;
const PAGE_BYTES = 65536;

/**
 * 4-bit quantisation through the WebAssembly SIMD kernel, byte for byte `quantizeQ4`. Rows are placed in the
 * kernel's memory (`input`, then `quantize`), so a caller can read a file straight into it; shapes the kernel does
 * not take (blocks other than 32, rows not a whole number of blocks) go through `quantizeQ4Raw`.
 */
export class Q4Kernel {
  private constructor(private readonly kernel: KernelExports) {}

  /** Instantiates the kernel from its binary (q4-kernel.wasm). */
  static async create(wasm: Uint8Array<ArrayBuffer>): Promise<Q4Kernel> {
    const module = await WebAssembly.compile(wasm);
    const instance = await WebAssembly.instantiate(module);
    return new Q4Kernel(instance.exports as unknown as KernelExports);
  }

  /** Whether `quantize` runs this shape in the kernel (otherwise it runs the plain-JS reference). */
  static takes(columns: number, blockSize: number): boolean {
    return blockSize === KERNEL_BLOCK && columns % KERNEL_BLOCK === 0;
  }

  /** A view of `byteLength` bytes of kernel memory to place the next rows in (valid until the next call). */
  input(byteLength: number): Uint8Array {
    this.reserve(byteLength);
    return new Uint8Array(this.kernel.memory.buffer, 0, byteLength);
  }

  /**
   * Quantises the rows placed by `input`: `rows` × `columns` values of `dtype`. The result's arrays are views of
   * kernel memory, valid until the next call (copy what you keep).
   */
  quantize(dtype: SafetensorsDtype, rows: number, columns: number, blockSize: number): Q4Matrix {
    const rawBytes = rows * columns * DTYPE_BYTES[dtype];
    if (!Q4Kernel.takes(columns, blockSize)) {
      return quantizeQ4Raw(this.input(rawBytes).slice(), dtype, rows, columns, blockSize);
    }
    const blocksPerRow = columns / blockSize;
    const sizes = {
      data: (rows * columns) / 2,
      scales: rows * blocksPerRow * 4,
      zeroPoints: rows * Math.ceil(blocksPerRow / 2),
    };
    const data = align(dtype === "BF16" ? rawBytes : rows * columns * 4);
    const scales = align(data + sizes.data);
    const zeros = align(scales + sizes.scales);
    this.reserve(zeros + sizes.zeroPoints);
    if (dtype === "F16") this.widenHalvesInPlace(rows * columns);
    const failed = this.kernel.quantize(0, dtype === "BF16" ? 0 : 1, rows, blocksPerRow, data, scales, zeros);
    if (failed !== 0) throw new NonFiniteBlockError(Math.floor((failed - 1) / blocksPerRow));
    const memory = this.kernel.memory.buffer;
    return {
      data: new Uint8Array(memory, data, sizes.data),
      scales: new Float32Array(memory, scales, sizes.scales / 4),
      zeroPoints: new Uint8Array(memory, zeros, sizes.zeroPoints),
      rows,
      columns,
      blockSize,
      blocksPerRow,
    };
  }

  /**
   * Places a slice's rows in kernel memory and quantises them. `fill` writes the rows into the view it is given (a
   * host that reads a file can read straight into it), or `raw` holds them.
   */
  quantizeSlice(
    raw: Uint8Array | ((input: Uint8Array) => void),
    dtype: SafetensorsDtype,
    rows: number,
    columns: number,
    blockSize: number,
  ): Q4Matrix {
    const expected = rows * columns * DTYPE_BYTES[dtype];
    if (typeof raw !== "function" && raw.byteLength !== expected) {
      throw new Error(
        `quantize: ${raw.byteLength} bytes of ${dtype} do not form a ${rows}×${columns} matrix (expected ${expected}).`,
      );
    }
    const input = this.input(expected);
    if (typeof raw === "function") raw(input);
    else input.set(raw);
    return this.quantize(dtype, rows, columns, blockSize);
  }

  /** fp16 → float32 in place, from the last value back (each float lands at or after the half it came from). */
  private widenHalvesInPlace(count: number): void {
    const buffer = this.kernel.memory.buffer;
    const halves = new Uint16Array(buffer, 0, count);
    const floats = new Float32Array(buffer, 0, count);
    const table = halfTable();
    for (let i = count - 1; i >= 0; i--) floats[i] = table[halves[i]];
  }

  private reserve(byteLength: number): void {
    const memory = this.kernel.memory;
    const missing = byteLength - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / PAGE_BYTES));
  }
}

function align(offset: number): number {
  return Math.ceil(offset / 16) * 16;
}

let halfFloats: Float32Array | undefined;

/** Every fp16 bit pattern as float32 (256 KiB, made on first use). */
function halfTable(): Float32Array {
  halfFloats ??= toFloat32(new Uint8Array(Uint16Array.from({ length: 65536 }, (_, i) => i).buffer), "F16");
  return halfFloats;
}
