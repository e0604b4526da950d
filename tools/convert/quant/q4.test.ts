import { describe, expect, it } from "vitest";
import { float32ToFloat16Bytes } from "../../../src/convert/graph/builder.ts";
import {
  dequantizeQ4,
  NonFiniteBlockError,
  type Q4Matrix,
  quantizeQ4,
  quantizeQ4Raw,
} from "../../../src/convert/quant/q4.ts";
import { Q4Kernel } from "../../../src/convert/quant/q4-kernel.ts";
import { type SafetensorsDtype, toFloat32 } from "../../../src/convert/safetensors/read.ts";
import { assembleQ4Kernel, loadQ4Kernel } from "./q4-kernel-source.ts";

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

  it("rejects raw bytes that do not match the shape", () => {
    expect(() => quantizeQ4Raw(new Uint8Array(10), "BF16", 2, 4)).toThrow(/10 bytes of BF16 do not form a 2×4 matrix/);
  });

  it("refuses NaN and infinite weights, naming the row", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = seededValues(4 * 64);
      values[2 * 64 + 40] = bad;
      expect(() => quantizeQ4(values, 4, 64)).toThrow(NonFiniteBlockError);
      expect(() => quantizeQ4(values, 4, 64)).toThrow(/row 2 holds NaN or infinite values/);
    }
    const overflowing = new Float32Array(32);
    overflowing[0] = 3e38;
    overflowing[1] = -3e38;
    expect(() => quantizeQ4(overflowing, 1, 32)).toThrow(NonFiniteBlockError);
  });
});

/** bf16 rows with awkward values: ±0, subnormals, tiny and large magnitudes, constant blocks, ties. */
function awkwardBf16(rows: number, columns: number): Uint8Array {
  const halves = new Uint16Array(rows * columns);
  let state = 11;
  for (let i = 0; i < halves.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    halves[i] = (state >>> 16) & 0xbfff; // any sign, magnitudes below 2 down to subnormals
  }
  halves.set([0x0000, 0x8000, 0x0001, 0x8001, 0x007f, 0x3f80, 0xbf80], 0);
  halves.fill(0x8000, 32, 64); // a block of negative zeros
  halves.fill(0x3f80, 64, 96); // a block of ones (scale 1/15)
  halves.fill(0x0001, 96, 128); // a block of the smallest subnormal (scale rounds to 0)
  for (let i = 0; i < 32; i++) halves[columns + i] = [0x0000, 0x3f80, 0x3f00, 0x3fc0][i % 4]; // 0, 1, ½, 1.5: ties
  return new Uint8Array(halves.buffer);
}

describe("q4 SIMD kernel", () => {
  it("ships the binary assembled from its text (run npm run build-kernel after editing q4-kernel.wat)", async () => {
    const committed = Buffer.from(await loadQ4Kernel());
    expect(committed.equals(Buffer.from(await assembleQ4Kernel()))).toBe(true);
  });

  it("gives quantizeQ4's bytes for bf16, fp16 and float32 rows", async () => {
    const kernel = await Q4Kernel.create(await loadQ4Kernel());
    const rows = 9;
    const columns = 160;
    const bf16 = awkwardBf16(rows, columns);
    const f32 = new Uint8Array(toFloat32(bf16, "BF16").buffer);
    const f16 = float32ToFloat16Bytes(Float32Array.from(toFloat32(bf16, "BF16"), (v) => Math.sin(v) * 1000));
    const cases: [SafetensorsDtype, Uint8Array][] = [
      ["BF16", bf16],
      ["F16", f16],
      ["F32", f32],
    ];
    for (const [dtype, raw] of cases) {
      const expected = quantizeQ4(toFloat32(raw, dtype), rows, columns, 32);
      expectSameQ4(kernel.quantizeSlice(raw, dtype, rows, columns, 32), expected);
    }
    expect(Q4Kernel.takes(columns, 32)).toBe(true);
  });

  it("gives quantizeQ4's bytes over many random blocks", async () => {
    const kernel = await Q4Kernel.create(await loadQ4Kernel());
    const rows = 256;
    const columns = 512;
    const values = seededValues(rows * columns, 3).map((v, i) => v * (1 + (i % 37)) * 0.01 + (i % 5 === 0 ? 0.3 : 0));
    const expected = quantizeQ4(values, rows, columns, 32);
    expectSameQ4(kernel.quantizeSlice(new Uint8Array(values.buffer), "F32", rows, columns, 32), expected);
  });

  it("takes shapes it cannot run (partial blocks, other block sizes) through the reference", async () => {
    const kernel = await Q4Kernel.create(await loadQ4Kernel());
    const values = seededValues(5 * 70);
    expect(Q4Kernel.takes(70, 32)).toBe(false);
    expect(Q4Kernel.takes(128, 64)).toBe(false);
    const raw = new Uint8Array(values.buffer);
    expectSameQ4(kernel.quantizeSlice(raw, "F32", 5, 70, 32), quantizeQ4(values, 5, 70, 32));
    expectSameQ4(
      kernel.quantizeSlice(raw.subarray(0, 4 * 64 * 4), "F32", 4, 64, 64),
      quantizeQ4(values.subarray(0, 256), 4, 64, 64),
    );
  });

  it("refuses NaN and infinite weights, naming the row, as the reference does", async () => {
    const kernel = await Q4Kernel.create(await loadQ4Kernel());
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = seededValues(4 * 64);
      values[3 * 64 + 7] = bad;
      const raw = new Uint8Array(values.buffer);
      expect(() => kernel.quantizeSlice(raw, "F32", 4, 64, 32)).toThrow(/row 3 holds NaN or infinite values/);
    }
  });
});

function expectSameQ4(actual: Q4Matrix, expected: Q4Matrix): void {
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  expect(bytes(actual.data).equals(bytes(expected.data))).toBe(true);
  expect(bytes(actual.scales).equals(bytes(expected.scales))).toBe(true);
  expect(bytes(actual.zeroPoints).equals(bytes(expected.zeroPoints))).toBe(true);
}
