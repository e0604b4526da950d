import { describe, expect, it } from "vitest";
import { floatBytes, GraphBuilder } from "../graph/builder.ts";
import { makeConcat, makeMatMul, makeMul, makeReduceSum, makeReshape, makeSigmoid } from "../graph/ops.ts";
import { countGraphCost } from "./count.ts";
import { graphViewOfBytes } from "./graph-view.ts";

/**
 * x [1,S,8] ─MatMul(W 8×8)─► y ─Mul(y, Sigmoid(y))─► silu ─Reshape[1,1,S,8]─► Concat(past key, axis 2) ─► present
 * attention_mask ─ReduceSum(1)─► (int64: on the CPU);  silu ─► logits (read back), present stays on the GPU
 */
function smallGraph() {
  const g = new GraphBuilder("small", undefined);
  const x = g.makeInput("x", "float32", [1, "S", 8]);
  const past = g.makeInput("past_key_values.0.key", "float32", [1, 1, "T", 8]);
  const mask = g.makeInput("attention_mask", "int64", [1, "total"]);
  const w = g.makeInitializer("w", "float32", [8, 8], floatBytes(new Float32Array(64).fill(0.5)));
  const y = makeMatMul(g, "/MatMul", x, w);
  const silu = makeMul(g, "/silu/Mul", y, makeSigmoid(g, "/silu/Sigmoid", y));
  const heads = makeReshape(g, "/Reshape", silu, g.int64([1, 1, -1, 8]));
  const present = makeConcat(g, "/Concat", [past, heads], 2);
  g.makeOutput("present.0.key", present, "float32", [1, 1, "total", 8]);
  g.makeOutput("logits", silu, "float32", [1, "S", 8]);
  g.makeOutput("mask_sum", makeReduceSum(g, "/ReduceSum", mask, [1], 0), "int64", [1]);
  return graphViewOfBytes(g.encode());
}

describe("countGraphCost", () => {
  const [S, T] = [2, 5];
  const cost = countGraphCost(smallGraph(), {
    x: { shape: [1, S, 8] },
    "past_key_values.0.key": { shape: [1, 1, T, 8] },
    attention_mask: { shape: [1, T + S] },
  });
  const row = 8 * 4; // one position of 8 float32

  it("counts a kernel for MatMul, SiLU (Sigmoid·x fused) and Concat; none for views and integer sums", () => {
    expect(cost.dispatchesByOp).toEqual({ MatMul: 1, Mul: 1, Concat: 1 });
    expect(cost.dispatches).toBe(3);
  });

  it("reads the weight once, the KV cache through Concat, and the matrix FLOPs of MatMul", () => {
    expect(cost.weightBytes).toBe(64 * 4); // the Reshape's int64 shape is no weight
    expect(cost.kvCacheBytes).toBe(T * row);
    expect(cost.kvReadBytes).toBe(T * row);
    expect(cost.kvWrittenBytes).toBe((T + S) * row);
    expect(cost.matmulFlops).toBe(2 * S * 8 * 8);
    // x read, y written, y read by QuickGelu, silu written, silu read by Concat
    expect(cost.activationBytes).toBe(5 * S * row);
  });

  it("counts only the outputs that leave the GPU as bytes to the CPU", () => {
    // the logits; the present key stays on the GPU, the integer sum was made on the CPU
    expect(cost.bytesToCpu).toBe(S * row);
  });
});
