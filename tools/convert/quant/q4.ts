import { DTYPE_BYTES, halfToFloat, type SafetensorsDtype } from "../safetensors/read.ts";

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

/**
 * Quantises a row-major [rows, columns] matrix to asymmetric 4-bit blocks of `blockSize` along each row
 * (ONNX Runtime's MatMulNBits layout for a Linear weight [out, in]; rows = N, columns = K). A trailing partial
 * block is padded with zeros. Each block maps [min(0, lo), max(0, hi)] onto 0..15 so that 0 stays exact.
 */
export function quantizeQ4(values: Float32Array, rows: number, columns: number, blockSize = 32): Q4Matrix {
  if (values.length !== rows * columns) {
    throw new Error(`quantizeQ4: ${values.length} values do not form a ${rows}×${columns} matrix.`);
  }
  const matrix = emptyQ4(rows, columns, blockSize);
  for (let row = 0; row < rows; row++) quantizeRow(values, row * columns, row, matrix);
  return matrix;
}

/**
 * `quantizeQ4` straight from a checkpoint's little-endian bytes (bf16, fp16 or f32 rows): each row is widened into
 * one small reused float32 row (bf16 by a 16-bit shift into the float bits), so no float32 copy of the slice is
 * made. Same bytes as `quantizeQ4(toFloat32(raw, dtype), …)`.
 */
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
  const matrix = emptyQ4(rows, columns, blockSize);
  const aligned = raw.byteOffset % DTYPE_BYTES[dtype] === 0 ? raw : raw.slice();
  const row = new Float32Array(columns);
  if (dtype === "F32") {
    const floats = new Float32Array(aligned.buffer, aligned.byteOffset, rows * columns);
    for (let r = 0; r < rows; r++) quantizeRow(floats, r * columns, r, matrix);
    return matrix;
  }
  const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, rows * columns);
  if (dtype === "F16") {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) row[c] = halfToFloat(halves[r * columns + c]);
      quantizeRow(row, 0, r, matrix);
    }
    return matrix;
  }
  const rowBits = new Int32Array(row.buffer);
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    for (let c = 0; c < columns; c++) rowBits[c] = halves[base + c] << 16;
    quantizeBf16Row(halves, base, row, r, matrix);
  }
  return matrix;
}

function emptyQ4(rows: number, columns: number, blockSize: number): Q4Matrix {
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

/** Quantises one row of `matrix.columns` values starting at `start` of `values` into row `row` of `matrix`. */
function quantizeRow(values: Float32Array, start: number, row: number, matrix: Q4Matrix): void {
  const { columns, blockSize, blocksPerRow } = matrix;
  const zeroBytesPerRow = Math.ceil(blocksPerRow / 2);
  for (let block = 0; block < blocksPerRow; block++) {
    const count = Math.min(blockSize, columns - block * blockSize);
    const zeroPoint = quantizeBlock(values, start + block * blockSize, count, matrix, row * blocksPerRow + block);
    matrix.zeroPoints[row * zeroBytesPerRow + (block >> 1)] |= zeroPoint << ((block & 1) * 4);
  }
}

/**
 * Quantises `count` values from `start` into the bytes of block `blockIndex` (a short last block is padded with
 * the zero point), stores its scale and returns its zero point.
 */
function quantizeBlock(
  values: Float32Array,
  start: number,
  count: number,
  matrix: Q4Matrix,
  blockIndex: number,
): number {
  const end = start + count;
  let lo = 0;
  let hi = 0;
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  return encodeBlock(values, start, count, lo, hi, matrix, blockIndex);
}

/**
 * Writes block `blockIndex` given its range [lo ≤ 0, hi ≥ 0]. [lo, hi] maps onto 0..15, and truncating
 * `v / scale + zeroPoint + 0.5` rounds to the nearest step: it cannot go below 0 (lo / scale ≥ −zeroPoint − ½,
 * float error truncates to 0) and is capped at 15 (it can reach 16 when zeroPoint rounded up).
 */
function encodeBlock(
  values: Float32Array,
  start: number,
  count: number,
  lo: number,
  hi: number,
  matrix: Q4Matrix,
  blockIndex: number,
): number {
  const end = start + count;
  const scale = (hi - lo) / 15;
  matrix.scales[blockIndex] = scale;
  let zeroPoint = 8;
  let inverse = 0;
  if (scale !== 0) {
    inverse = 1 / scale;
    zeroPoint = Math.min(15, Math.round(-lo * inverse));
  }
  const offset = zeroPoint + 0.5;
  const out = matrix.data;
  let byte = blockIndex * (matrix.blockSize / 2);
  let i = start;
  for (; i + 1 < end; i += 2) {
    let a = (values[i] * inverse + offset) | 0;
    if (a > 15) a = 15;
    let b = (values[i + 1] * inverse + offset) | 0;
    if (b > 15) b = 15;
    out[byte++] = a | (b << 4);
  }
  if (i < end) {
    out[byte++] = Math.min((values[i] * inverse + offset) | 0, 15) | (zeroPoint << 4);
  }
  const last = blockIndex * (matrix.blockSize / 2) + matrix.blockSize / 2;
  while (byte < last) out[byte++] = zeroPoint | (zeroPoint << 4);
  return zeroPoint;
}

/**
 * Quantises bf16 row `row` (its bits at `halves[base…]`, widened into `values`) into `matrix`. Each block's range
 * comes from the bf16 bits as sign-magnitude integers (mapped so integer order is float order) with branch-free
 * min/max, which is several times faster than float compares on noisy data; blocks holding a NaN take the float
 * path, so the bytes always equal `quantizeRow`'s.
 */
function quantizeBf16Row(halves: Uint16Array, base: number, values: Float32Array, row: number, matrix: Q4Matrix) {
  const { columns, blockSize, blocksPerRow } = matrix;
  const zeroBytesPerRow = Math.ceil(blocksPerRow / 2);
  for (let block = 0; block < blocksPerRow; block++) {
    const start = block * blockSize;
    const count = Math.min(blockSize, columns - start);
    let lo = 0;
    let hi = 0;
    for (let i = base + start, end = base + start + count; i < end; i++) {
      const bits = halves[i];
      const negative = bits >> 15;
      const key = ((bits & 0x7fff) ^ -negative) + negative;
      let d = lo - key;
      lo = key + (d & (d >> 31));
      d = hi - key;
      hi -= d & (d >> 31);
    }
    const blockIndex = row * blocksPerRow + block;
    const zeroPoint =
      hi > BF16_INFINITY || lo < -BF16_INFINITY
        ? quantizeBlock(values, start, count, matrix, blockIndex)
        : encodeBlock(values, start, count, bf16KeyToFloat(lo), bf16KeyToFloat(hi), matrix, blockIndex);
    matrix.zeroPoints[row * zeroBytesPerRow + (block >> 1)] |= zeroPoint << ((block & 1) * 4);
  }
}

const BF16_INFINITY = 0x7f80;
const keyBits = new Int32Array(1);
const keyFloat = new Float32Array(keyBits.buffer);

/** The float a sign-magnitude key stands for (key −m is the negative bf16 of magnitude bits m). */
function bf16KeyToFloat(key: number): number {
  keyBits[0] = (key < 0 ? -key | 0x8000 : key) << 16;
  return keyFloat[0];
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
