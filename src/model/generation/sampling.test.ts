import { describe, expect, it } from "vitest";
import { argmax, logSoftmax, sampleToken, samplingDistribution, seededRandom, topIndices } from "./sampling";

const logits = Float32Array.from([Math.log(0.1), Math.log(0.4), Math.log(0.2), Math.log(0.3)]);

describe("sampling", () => {
  it("picks the first maximum and keeps the top k in order", () => {
    expect(argmax(Float32Array.from([1, 3, 3, 2]))).toBe(1);
    expect(topIndices(Float32Array.from([1, 3, 3, 2, 0]), 3)).toEqual([1, 2, 3]);
    const big = Float32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    expect(topIndices(big, 300)).toEqual(
      Array.from(big.keys())
        .sort((a, b) => big[b] - big[a])
        .slice(0, 300),
    );
  });

  it("log_softmax sums to one in probability", () => {
    const sum = logSoftmax(Float32Array.from([1, 2, 3])).reduce((a, b) => a + Math.exp(b), 0);
    expect(sum).toBeCloseTo(1, 6);
  });

  it("applies top-k, then top-p as HF does (a token is dropped once the mass above it reaches p)", () => {
    const all = samplingDistribution(logits, { temperature: 1, topK: 0, topP: 1 });
    expect(all.tokens).toEqual([1, 3, 2, 0]);
    expect(all.probabilities.map((p) => p.toFixed(6))).toEqual(["0.400000", "0.300000", "0.200000", "0.100000"]);
    expect(samplingDistribution(logits, { temperature: 1, topK: 2, topP: 1 }).tokens).toEqual([1, 3]);
    // mass above: 0, 0.4, 0.7, 0.9 → with p = 0.7 the third token (0.7 ≥ 0.7) goes.
    const nucleus = samplingDistribution(logits, { temperature: 1, topK: 0, topP: 0.7 });
    expect(nucleus.tokens).toEqual([1, 3]);
    expect(nucleus.probabilities.map((p) => p.toFixed(6))).toEqual([(4 / 7).toFixed(6), (3 / 7).toFixed(6)]);
    expect(samplingDistribution(logits, { temperature: 1, topK: 0, topP: 0.1 }).tokens).toEqual([1]);
  });

  it("temperature sharpens, and draws follow the distribution reproducibly from a seed", () => {
    const cold = samplingDistribution(logits, { temperature: 0.25, topK: 0, topP: 1 });
    expect(cold.probabilities[0]).toBeGreaterThan(0.6);
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 4000 }, () => sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, random));
    };
    const a = draw(3);
    expect(draw(3)).toEqual(a);
    expect(draw(4)).not.toEqual(a);
    const share = (t: number) => a.filter((x) => x === t).length / a.length;
    expect(share(1)).toBeCloseTo(0.4, 1);
    expect(share(0)).toBeCloseTo(0.1, 1);
  });

  it("refuses settings that make no distribution", () => {
    expect(() => samplingDistribution(logits, { temperature: 0, topK: 0, topP: 1 })).toThrow(/temperature/);
    expect(() => samplingDistribution(logits, { temperature: 1, topK: 0, topP: 0 })).toThrow(/top-p/);
  });

  it("samples over a full Qwen3 vocabulary with top-k off (151,936 logits) without overflowing the stack", () => {
    const vocab = 151_936;
    const full = new Float32Array(vocab).fill(-20);
    full[123_456] = 5;
    full[7] = 5 + Math.log(0.5);
    const settings = { temperature: 1, topK: 0, topP: 1 };
    const { tokens, probabilities } = samplingDistribution(full, settings);
    expect(tokens.length).toBe(vocab);
    expect(tokens.slice(0, 2)).toEqual([123_456, 7]);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(probabilities[0] / probabilities[1]).toBeCloseTo(2, 4);
    expect([123_456, 7]).toContain(sampleToken(full, settings, seededRandom(3)));
  });
});
