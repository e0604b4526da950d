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
  if (blockSize % 2 !== 0 || blockSize < 16) {
    throw new Error(`quantizeQ4: block size ${blockSize}; expected an even size ≥ 16.`);
  }
  const blocksPerRow = Math.ceil(columns / blockSize);
  const zeroBytesPerRow = Math.ceil(blocksPerRow / 2);
  const matrix: Q4Matrix = {
    data: new Uint8Array(rows * blocksPerRow * (blockSize / 2)),
    scales: new Float32Array(rows * blocksPerRow),
    zeroPoints: new Uint8Array(rows * zeroBytesPerRow),
    rows,
    columns,
    blockSize,
    blocksPerRow,
  };
  for (let row = 0; row < rows; row++) {
    for (let block = 0; block < blocksPerRow; block++) {
      const start = row * columns + block * blockSize;
      const count = Math.min(blockSize, columns - block * blockSize);
      const zeroPoint = quantizeBlock(values, start, count, matrix, row * blocksPerRow + block);
      matrix.zeroPoints[row * zeroBytesPerRow + (block >> 1)] |= zeroPoint << ((block & 1) * 4);
    }
  }
  return matrix;
}

/**
 * Quantises `count` values from `start` into the bytes of block `blockIndex` (a short last block is padded with
 * the zero point), stores its scale and returns its zero point. [min(0, lo), max(0, hi)] maps onto 0..15, and
 * truncating `v / scale + zeroPoint + 0.5` rounds to the nearest step: it cannot go below 0 (lo / scale ≥ −zeroPoint
 * − ½, float error truncates to 0) and is capped at 15 (it can reach 16 when zeroPoint rounded up).
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
    const a = Math.min((values[i] * inverse + offset) | 0, 15);
    const b = Math.min((values[i + 1] * inverse + offset) | 0, 15);
    out[byte++] = a | (b << 4);
  }
  if (i < end) {
    out[byte++] = Math.min((values[i] * inverse + offset) | 0, 15) | (zeroPoint << 4);
  }
  const last = blockIndex * (matrix.blockSize / 2) + matrix.blockSize / 2;
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
