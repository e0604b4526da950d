import { describe, expect, it } from "vitest";
import { emptyCost, type GraphCost } from "./count.ts";
import { bandwidthBoundSeconds, predict, runSeconds } from "./predict.ts";

const gpu = { name: "test", bandwidthGBs: 1000, fp32Tflops: 10 };
const assume = { bandwidthEfficiency: 0.5, computeEfficiency: 0.5, dispatchMicros: 10 };

function cost(parts: Partial<GraphCost>): GraphCost {
  return { ...emptyCost(), ...parts };
}

describe("GPU speed prediction", () => {
  it("takes a decoding step's traffic at the reachable bandwidth, plus its dispatches", () => {
    // 4 GB at 500 GB/s reachable = 8 ms; 100 dispatches × 10 µs = 1 ms
    const step = cost({ weightBytes: 4e9, dispatches: 100, matmulFlops: 8e9 });
    expect(runSeconds(step, gpu, assume)).toBeCloseTo(0.009, 9);
    expect(bandwidthBoundSeconds(step, gpu)).toBeCloseTo(0.004, 9);
  });

  it("takes a prefill chunk's arithmetic when it is slower than its traffic", () => {
    // 50 TFLOP at 5 TFLOPS reachable = 10 s; its 1 GB of traffic only 2 ms
    const chunk = cost({ weightBytes: 1e9, matmulFlops: 50e12, dispatches: 0 });
    expect(runSeconds(chunk, gpu, assume)).toBeCloseTo(10, 6);
  });

  it("reads the KV cache once in the bound, and sums encoder and chunks into the first token", () => {
    const step = cost({ weightBytes: 1e9, kvCacheBytes: 1e9, kvReadBytes: 3e9 });
    const chunk = cost({ matmulFlops: 5e12 });
    const p = predict(
      { decode: { 1000: step }, image: { 448: { encoder: chunk, prefillChunks: [chunk, chunk] } } },
      gpu,
      assume,
    );
    expect(p.decodeBoundTokensPerSecond[1000]).toBeCloseTo(500, 6);
    expect(p.decodeTokensPerSecond[1000]).toBeCloseTo(1 / (4e9 / 500e9), 6); // weights and KV as read, 500 GB/s
    expect(p.firstTokenSeconds[448]).toBeCloseTo(3, 6);
  });
});
