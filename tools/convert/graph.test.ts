import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { floatBytes, GraphBuilder } from "../../src/convert/graph/builder.ts";
import { ExternalDataWriter } from "../../src/convert/graph/external-data.ts";
import { makeAdd, makeMatMul, makeMatMulNBits } from "../../src/convert/graph/ops.ts";
import { transpose } from "../../src/convert/graph/weights.ts";
import { dequantizeQ4, quantizeQ4 } from "../../src/convert/quant/q4.ts";
import { chunkSinksOnDisk } from "./node-folder.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "graph-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function matrix(rows: number, columns: number, seed: number): Float32Array {
  return Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i * 0.7 + seed));
}

function matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) out[i * n + j] += a[i * k + t] * b[t * n + j];
  return out;
}

describe("graph builder", () => {
  it("writes weights into chunks under the limit, with transformers.js names, that ONNX Runtime loads", async () => {
    const writer = new ExternalDataWriter(await chunkSinksOnDisk(dir, "model.onnx", 2), "model.onnx", 3500);
    const g = new GraphBuilder("chunks", writer);
    const size = 20; // 1,600-byte weights: two fit a 3,500-byte chunk, the third opens a new one
    const x = g.makeInput("x", "float32", ["batch", size]);
    const weights = [0, 1, 2].map((i) => matrix(size, size, i));
    let y = x;
    weights.forEach((w, i) => {
      y = makeMatMul(g, `/layers.${i}/MatMul`, y, g.makeInitializer(`w${i}`, "float32", [size, size], floatBytes(w)));
    });
    g.makeOutput("y", y, "float32", ["batch", size]);
    const chunks = await writer.close();
    await writeFile(join(dir, "model.onnx"), g.encode());
    expect(chunks.map((c) => c.name)).toEqual(["model.onnx_data", "model.onnx_data_1"]);
    for (const chunk of chunks) expect((await stat(join(dir, chunk.name))).size).toBeLessThanOrEqual(3500);
    expect((await readdir(dir)).sort()).toEqual(["model.onnx", "model.onnx_data", "model.onnx_data_1"]);

    const session = await ort.InferenceSession.create(join(dir, "model.onnx"));
    const input = matrix(2, size, 9);
    const { y: out } = await session.run({ x: new ort.Tensor("float32", input, [2, size]) });
    let expected = input;
    for (const w of weights) expected = matmul(expected, w, 2, size, size);
    const actual = out.data as Float32Array;
    const scale = Math.max(...expected.map(Math.abs));
    for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(1e-5 * scale);
  });

  it("runs MatMulNBits equal to the dequantised weights", async () => {
    const g = new GraphBuilder("q4", undefined);
    const [n, k] = [8, 70];
    const w = matrix(n, k, 3);
    const q = quantizeQ4(w, n, k, 32);
    const x = g.makeInput("x", "float32", [1, k]);
    const data = g.makeInitializer("w.q4", "uint8", [n, q.blocksPerRow, 16], q.data);
    const scales = g.makeInitializer("w.scales", "float32", [q.scales.length], floatBytes(q.scales));
    const zeroPoints = g.makeInitializer("w.zp", "uint8", [q.zeroPoints.length], q.zeroPoints);
    const y = makeMatMulNBits(g, "/q/MatMulNBits", x, { data, scales, zeroPoints }, { K: k, N: n, blockSize: 32 });
    g.makeOutput("y", y, "float32", [1, n]);
    const session = await ort.InferenceSession.create(g.encode());
    const input = matrix(1, k, 5);
    const out = (await session.run({ x: new ort.Tensor("float32", input, [1, k]) })).y.data as Float32Array;
    const restored = dequantizeQ4(q);
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += input[t] * restored[j * k + t];
      expect(out[j]).toBeCloseTo(sum, 3);
    }
  });

  it("emits a repeated node once and refuses a name reused for another node", () => {
    const g = new GraphBuilder("names", undefined);
    const a = g.makeInput("a", "float32", [1]);
    const b = g.makeInput("b", "float32", [1]);
    expect(makeAdd(g, "/x/Add", a, b)).toBe("/x/Add/output_0");
    makeAdd(g, "/x/Add", a, b);
    expect(g.nodes).toHaveLength(1);
    expect(g.int64([1, 2])).toBe(g.int64([1, 2]));
    expect(g.initializers).toHaveLength(1);
    expect(() => makeAdd(g, "/x/Add", b, a)).toThrow(/node \/x\/Add already exists/);
  });

  it("refuses a tensor larger than a chunk, naming both sizes", () => {
    const writer = new ExternalDataWriter(null, "m.onnx", 100);
    expect(() => writer.write(new Uint8Array(101))).toThrow(/101-byte initializer cannot fit a 100-byte/);
  });

  it("transposes matrices whose sides are not multiples of the tile", () => {
    for (const [rows, columns] of [
      [1, 1],
      [3, 70],
      [65, 33],
    ]) {
      const values = matrix(rows, columns, rows + columns);
      const out = transpose(values, rows, columns);
      expect(out).toHaveLength(values.length);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < columns; c++) expect(out[c * rows + r]).toBe(values[r * columns + c]);
    }
  });
});
