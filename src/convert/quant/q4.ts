import { DTYPE_BYTES, type SafetensorsDtype, toFloat32 } from "../safetensors/read.ts";

/** A matrix quantised to 4 bits per value in blocks along its rows, laid out as MatMulNBits' B input. */
export interface Q4Matrix {
  /** uint8 [rows, blocksPerRow, blockSize / 2]: two values per byte, the even index in the low nibble. */
  data: Uint8Array;
  /** float [rows * blocksPerRow]. */
  scales: Float32Array;
  /** uint8 [rows * ceil(blocksPerRow / 2)]: packed zero points, the even block in the low nibble. */
  zeroPoints: Uint8Array;
  rows: number;
  columns: number;
  blockSize: number;
  blocksPerRow: number;
}

/** A block whose values are not all finite (or whose range overflows float32): the checkpoint is damaged. */
export class NonFiniteBlockError extends Error {
  constructor(readonly row: number) {
    super(
      `row ${row} holds NaN or infinite values (or a range beyond float32); 4-bit quantisation needs finite weights, so the checkpoint is damaged: download it again.`,
    );
    this.name = "NonFiniteBlockError";
  }
}

/**
 * Quantises a row-major [rows, columns] matrix to asymmetric 4-bit blocks of `blockSize` along each row
 * (ONNX Runtime's MatMulNBits layout for a Linear weight [out, in]; rows = N, columns = K). A trailing partial
 * block is padded with its zero point. Each block maps [min(0, lo), max(0, hi)] onto 0..15 so that 0 stays exact.
 * Every step is a float32 operation, so the WebAssembly kernel (q4-kernel.wat) gives the same bytes; this is
 * its specification and the path for shapes the kernel does not take.
 */
export function quantizeQ4(values: Float32Array, rows: number, columns: number, blockSize = 32): Q4Matrix {
  if (values.length !== rows * columns) {
    throw new Error(`quantizeQ4: ${values.length} values do not form a ${rows}×${columns} matrix.`);
  }
  const matrix = emptyQ4(rows, columns, blockSize);
  const zeroBytesPerRow = Math.ceil(matrix.blocksPerRow / 2);
  for (let row = 0; row < rows; row++) {
    for (let block = 0; block < matrix.blocksPerRow; block++) {
      const start = row * columns + block * blockSize;
      const count = Math.min(blockSize, columns - block * blockSize);
      const zeroPoint = quantizeBlock(values, start, count, matrix, row * matrix.blocksPerRow + block);
      if (zeroPoint < 0) throw new NonFiniteBlockError(row);
      matrix.zeroPoints[row * zeroBytesPerRow + (block >> 1)] |= zeroPoint << ((block & 1) * 4);
    }
  }
  return matrix;
}

/** `quantizeQ4` over a checkpoint's little-endian bf16, fp16 or f32 bytes. */
export function quantizeQ4Raw(
  raw: Uint8Array,
  dtype: SafetensorsDtype,
  rows: number,
  columns: number,
  blockSize = 32,
): Q4Matrix {
  if (raw.byteLength !== rows * columns * DTYPE_BYTES[dtype]) {
    throw new Error(
      `quantizeQ4Raw: ${raw.byteLength} bytes of ${dtype} do not form a ${rows}×${columns} matrix (expected ${rows * columns * DTYPE_BYTES[dtype]}).`,
    );
  }
  return quantizeQ4(toFloat32(raw, dtype), rows, columns, blockSize);
}

/** An all-zero Q4 matrix of the given shape (its buffers sized for `quantizeQ4`'s layout). */
export function emptyQ4(rows: number, columns: number, blockSize: number): Q4Matrix {
  if (blockSize % 2 !== 0 || blockSize < 16) {
    throw new Error(`quantizeQ4: block size ${blockSize}; expected an even size ≥ 16.`);
  }
  const blocksPerRow = Math.ceil(columns / blockSize);
  return {
    data: new Uint8Array(rows * blocksPerRow * (blockSize / 2)),
    scales: new Float32Array(rows * blocksPerRow),
    zeroPoints: new Uint8Array(rows * Math.ceil(blocksPerRow / 2)),
    rows,
    columns,
    blockSize,
    blocksPerRow,
  };
}

const f32 = Math.fround;

/** 1.5·2^23: float32 values near it are spaced exactly 1 apart, so adding it rounds to an integer (ties to even). */
const ROUNDING_SHIFT = 12582912;

/**
 * Quantises `count` values from `start` into block `blockIndex` (a short last block is padded with the zero
 * point), stores its scale and returns its zero point, or −1 when the range is not finite. Each code is
 * `v · inverse + zeroPoint` rounded to the nearest integer by one float32 addition of ROUNDING_SHIFT (the kernel's
 * trick), clamped to 0..15 (float error can give −1, or 16 when the zero point rounded up).
 */
function quantizeBlock(values: Float32Array, start: number, count: number, matrix: Q4Matrix, blockIndex: number) {
  const end = start + count;
  let lo = 0;
  let hi = 0;
  for (let i = start; i < end; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const scale = f32(f32(hi - lo) / 15);
  if (!Number.isFinite(scale)) return -1;
  matrix.scales[blockIndex] = scale;
  let inverse = f32(1 / scale);
  let zeroPoint = 8;
  if (scale === 0 || !Number.isFinite(inverse)) inverse = 0;
  else zeroPoint = Math.min(15, Math.round(f32(-lo * inverse)));
  const shifted = zeroPoint + ROUNDING_SHIFT;
  const code = (v: number) => Math.max(0, Math.min(15, f32(f32(v * inverse) + shifted) - ROUNDING_SHIFT));
  const out = matrix.data;
  let byte = blockIndex * (matrix.blockSize / 2);
  let i = start;
  for (; i + 1 < end; i += 2) out[byte++] = code(values[i]) | (code(values[i + 1]) << 4);
  if (i < end) out[byte++] = code(values[i]) | (zeroPoint << 4);
  const last = (blockIndex + 1) * (matrix.blockSize / 2);
  while (byte < last) out[byte++] = zeroPoint | (zeroPoint << 4);
  return zeroPoint;
}

/** Expands a Q4 matrix back to row-major float32 [rows, columns] (tests and error bounds). */
export function dequantizeQ4(matrix: Q4Matrix): Float32Array {
  const { rows, columns, blockSize, blocksPerRow } = matrix;
  const out = new Float32Array(rows * columns);
  const zeroBytesPerRow = Math.ceil(blocksPerRow / 2);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const block = Math.floor(column / blockSize);
      const blockIndex = row * blocksPerRow + block;
      const within = column - block * blockSize;
      const byte = matrix.data[blockIndex * (blockSize / 2) + (within >> 1)];
      const q = (byte >> ((within & 1) * 4)) & 0xf;
      const zeroPoint = (matrix.zeroPoints[row * zeroBytesPerRow + (block >> 1)] >> ((block & 1) * 4)) & 0xf;
      out[row * columns + column] = (q - zeroPoint) * matrix.scales[blockIndex];
    }
  }
  return out;
}
