import { describe, expect, it } from "vitest";
import { float32ToFloat16Bytes } from "../graph/builder.ts";
import { type SafetensorsDtype, toFloat32 } from "../safetensors/read.ts";
import { dequantizeQ4, type Q4Matrix, quantizeQ4, quantizeQ4Raw } from "./q4.ts";

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

  it("quantises raw bf16, fp16 and f32 rows byte for byte like quantizeQ4 over toFloat32", () => {
    const rows = 7;
    const columns = 100; // three full blocks and a partial one
    const halves = new Uint16Array(rows * columns);
    let state = 11;
    for (let i = 0; i < halves.length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      halves[i] = state >>> 16;
    }
    // Edge values in the bf16 bits: ±0, ±infinity, NaNs of both signs, subnormals, the largest finite.
    halves.set([0x0000, 0x8000, 0x7f80, 0xff80, 0x7fc1, 0xffff, 0x0001, 0x8001, 0x7f7f, 0xff7f], 0);
    halves.fill(0x8000, 32, 64); // a block of negative zeros
    halves.fill(0x3f80, 64, 96); // a block of ones
    halves.set([0x7fc0, 0x4000, 0xc000], 3 * columns + 5); // one NaN among finite values
    const bf16 = new Uint8Array(halves.buffer);
    const f16 = float32ToFloat16Bytes(
      Float32Array.from(toFloat32(bf16, "BF16"), (v) => (Number.isFinite(v) ? Math.sin(v) * 1000 : v)),
    );
    const f32 = new Uint8Array(toFloat32(bf16, "BF16").buffer);
    const cases: [SafetensorsDtype, Uint8Array][] = [
      ["BF16", bf16],
      ["F16", f16],
      ["F32", f32],
    ];
    for (const [dtype, raw] of cases) {
      const expected = quantizeQ4(toFloat32(raw, dtype), rows, columns, 32);
      expectSameQ4(quantizeQ4Raw(raw, dtype, rows, columns, 32), expected);
      const unaligned = new Uint8Array(raw.byteLength + 1).subarray(1);
      unaligned.set(raw);
      expectSameQ4(quantizeQ4Raw(unaligned, dtype, rows, columns, 32), expected);
    }
  });

  it("rejects raw bytes that do not match the shape", () => {
    expect(() => quantizeQ4Raw(new Uint8Array(10), "BF16", 2, 4)).toThrow(/10 bytes of BF16 do not form a 2×4 matrix/);
  });
});

function expectSameQ4(actual: Q4Matrix, expected: Q4Matrix): void {
  expect(Buffer.from(actual.data).equals(Buffer.from(expected.data))).toBe(true);
  expect(Buffer.from(actual.scales.buffer).equals(Buffer.from(expected.scales.buffer))).toBe(true);
  expect(Buffer.from(actual.zeroPoints).equals(Buffer.from(expected.zeroPoints))).toBe(true);
}
