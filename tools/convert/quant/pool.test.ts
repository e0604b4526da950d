import { describe, expect, it } from "vitest";
import { float32ToBf16Bytes } from "../safetensors/write.ts";
import { inlineQuantizer, WorkerQuantizer } from "./pool.ts";

describe("worker quantizer", () => {
  it("quantises bf16 rows on worker threads byte for byte like the inline path", async () => {
    const rows = 6;
    const columns = 100;
    const values = Float32Array.from({ length: rows * columns }, (_, i) => Math.cos(i * 0.13) * (1 + (i % 7)));
    const workers = await WorkerQuantizer.start(2);
    expect(workers).toBeDefined();
    try {
      const jobs = [0, 1, 2].map(() =>
        (workers as WorkerQuantizer).quantize(float32ToBf16Bytes(values), "BF16", rows, columns, 32),
      );
      const expected = await inlineQuantizer.quantize(float32ToBf16Bytes(values), "BF16", rows, columns, 32);
      for (const result of await Promise.all(jobs)) {
        expect(result.blocksPerRow).toBe(4);
        expect([...result.data]).toEqual([...expected.data]);
        expect([...result.scales]).toEqual([...expected.scales]);
        expect([...result.zeroPoints]).toEqual([...expected.zeroPoints]);
      }
    } finally {
      await workers?.close();
    }
  });

  it("declines to start zero workers", async () => {
    expect(await WorkerQuantizer.start(0)).toBeUndefined();
  });
});
