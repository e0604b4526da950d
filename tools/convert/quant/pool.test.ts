import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ThreadPoolQuantizer } from "../../../src/convert/quant/pool.ts";
import { NonFiniteBlockError, quantizeQ4Raw } from "../../../src/convert/quant/q4.ts";
import type { RowSlice } from "../../../src/convert/quant/quantizer.ts";
import { BlobSource, type ByteSource } from "../../../src/io/source.ts";
import { FileSource } from "../../io/file-source.ts";
import { float32ToBf16Bytes } from "../safetensors/write.ts";
import { inlineQuantizer, startWorkerQuantizer } from "./pool.ts";

const ROWS = 6;
const COLUMNS = 96;
const values = Float32Array.from({ length: 3 * ROWS * COLUMNS }, (_, i) => Math.cos(i * 0.13) * (1 + (i % 7)));
const bf16 = float32ToBf16Bytes(values);
const sliceBytes = ROWS * COLUMNS * 2;

let dir: string;
let file: FileSource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "q4-pool-"));
  await writeFile(join(dir, "rows.bin"), Buffer.concat([Buffer.from("header"), bf16]));
  file = new FileSource(join(dir, "rows.bin"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Slice `index` of the three: from the file (read by the worker itself) or from a Blob (read here, sent along). */
function slice(source: ByteSource, index: number, headerBytes: number): RowSlice {
  return {
    source,
    offset: headerBytes + index * sliceBytes,
    byteLength: sliceBytes,
    dtype: "BF16",
    rows: ROWS,
    columns: COLUMNS,
  };
}

function expected(index: number) {
  return quantizeQ4Raw(bf16.subarray(index * sliceBytes, (index + 1) * sliceBytes), "BF16", ROWS, COLUMNS, 32);
}

describe("worker quantizer", () => {
  it("quantises file ranges and sent bytes on worker threads like the reference, reusing returned buffers", async () => {
    const workers = await startWorkerQuantizer(2);
    expect(workers).toBeDefined();
    const quantizer = workers as ThreadPoolQuantizer;
    const blob = new BlobSource(new Blob([Uint8Array.from(bf16)]), "rows.blob");
    const roundOf = () =>
      Promise.all(
        [0, 1, 2].flatMap((i) => [
          quantizer.quantize(slice(file, i, 6), 32),
          quantizer.quantize(slice(blob, i, 0), 32),
        ]),
      );
    try {
      let recycled: ArrayBuffer[] = [];
      for (let round = 0; round < 3; round++) {
        const results = await roundOf();
        // The buffers recycled after the last round went back to the workers with this round's jobs (transferred:
        // detached here), as many as the quantizer keeps.
        const sentBack = recycled.filter((buffer) => buffer.byteLength === 0).length;
        if (round > 0) expect(sentBack).toBe(Math.min(results.length, quantizer.parallelism));
        results.forEach((result, j) => {
          const want = expected(Math.floor(j / 2));
          expect(result.blocksPerRow).toBe(3);
          expect([...result.data]).toEqual([...want.data]);
          expect([...result.scales]).toEqual([...want.scales]);
          expect([...result.zeroPoints]).toEqual([...want.zeroPoints]);
        });
        if (round === 2) break;
        for (const result of results) quantizer.recycle(result);
        recycled = results.map((result) => result.data.buffer as ArrayBuffer);
      }
      // A worker writes into a recycled buffer rather than a fresh one: a larger one than it would make comes back.
      const sizes = [] as number[];
      for (let i = 0; i < quantizer.parallelism; i++) {
        const big = 4 * 65_536;
        const spare = { data: new Uint8Array(big), scales: new Float32Array(big / 4), zeroPoints: new Uint8Array(big) };
        quantizer.recycle({ ...expected(0), ...spare });
      }
      for (const result of await roundOf()) sizes.push(result.data.buffer.byteLength);
      expect(sizes.filter((size) => size === 4 * 65_536).length).toBe(Math.min(6, quantizer.parallelism));
    } finally {
      await quantizer.close();
    }
  });

  it("rejects NaN weights with the row, and a truncated file naming it", async () => {
    const quantizer = (await startWorkerQuantizer(1)) as ThreadPoolQuantizer;
    try {
      const poisoned = values.slice(0, ROWS * COLUMNS);
      poisoned[4 * COLUMNS + 50] = Number.NaN;
      const source = new BlobSource(new Blob([Uint8Array.from(float32ToBf16Bytes(poisoned))]));
      const error = await quantizer.quantize(slice(source, 0, 0), 32).catch((e: Error) => e);
      expect(error).toBeInstanceOf(NonFiniteBlockError);
      expect((error as NonFiniteBlockError).row).toBe(4);
      await expect(quantizer.quantize(slice(file, 3, 6), 32)).rejects.toThrow(
        /rows\.bin: asked for bytes .* the file is truncated/,
      );
    } finally {
      await quantizer.close();
    }
  });

  it("declines to start zero workers", async () => {
    expect(await startWorkerQuantizer(0)).toBeUndefined();
  });
});

describe("inline quantizer", () => {
  it("gives the reference's bytes from a file and from a Blob", async () => {
    const quantizer = inlineQuantizer();
    for (const [source, header] of [
      [file, 6],
      [new BlobSource(new Blob([Uint8Array.from(bf16)])), 0],
    ] as const) {
      const result = await quantizer.quantize(slice(source, 1, header), 32);
      expect([...result.data]).toEqual([...expected(1).data]);
      expect([...result.scales]).toEqual([...expected(1).scales]);
    }
  });
});
