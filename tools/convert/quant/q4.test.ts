import { describe, expect, it } from "vitest";
import { dequantizeQ4, quantizeQ4 } from "./q4.ts";

function seededValues(count: number, seed = 7): Float32Array {
  let state = seed;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = (state / 2 ** 32 - 0.5) * 2;
  }
  return out;
}

describe("q4 block quantisation", () => {
  it("round-trips within half a step of each block", () => {
    const rows = 5;
    const columns = 70; // two full blocks and a partial one
    const values = seededValues(rows * columns);
    const matrix = quantizeQ4(values, rows, columns, 32);
    expect(matrix.blocksPerRow).toBe(3);
    expect(matrix.data.length).toBe(rows * 3 * 16);
    expect(matrix.zeroPoints.length).toBe(rows * 2);
    const restored = dequantizeQ4(matrix);
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        const scale = matrix.scales[row * 3 + Math.floor(column / 32)];
        const error = Math.abs(restored[row * columns + column] - values[row * columns + column]);
        expect(error).toBeLessThanOrEqual(scale / 2 + 1e-6);
      }
    }
  });

  it("keeps zero exact and packs the even index in the low nibble", () => {
    const values = new Float32Array(32);
    values[0] = 1.5;
    values[1] = -0.75;
    const matrix = quantizeQ4(values, 1, 32, 32);
    const restored = dequantizeQ4(matrix);
    expect(restored[2]).toBe(0);
    expect(restored[0]).toBeCloseTo(1.5, 5);
    expect(restored[1]).toBeCloseTo(-0.75, 5);
    expect(matrix.data[0] & 0xf).toBe(15);
    expect(matrix.data[0] >> 4).toBe(0);
  });

  it("rejects a shape that does not match", () => {
    expect(() => quantizeQ4(new Float32Array(10), 3, 4)).toThrow(/10 values do not form a 3×4 matrix/);
  });
});
