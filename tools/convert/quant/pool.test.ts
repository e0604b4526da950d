import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobSource, type ByteSource } from "../../../src/io/source.ts";
import { FileSource } from "../../io/file-source.ts";
import { float32ToBf16Bytes } from "../safetensors/write.ts";
import { InlineQuantizer, type RowSlice, WorkerQuantizer } from "./pool.ts";
import { NonFiniteBlockError, quantizeQ4Raw } from "./q4.ts";

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
    const workers = await WorkerQuantizer.start(2);
    expect(workers).toBeDefined();
    const quantizer = workers as WorkerQuantizer;
    const blob = new BlobSource(new Blob([Uint8Array.from(bf16)]), "rows.blob");
    try {
      for (let round = 0; round < 3; round++) {
        const jobs = [0, 1, 2].flatMap((i) => [
          quantizer.quantize(slice(file, i, 6), 32),
          quantizer.quantize(slice(blob, i, 0), 32),
        ]);
        const results = await Promise.all(jobs);
        results.forEach((result, j) => {
          const want = expected(Math.floor(j / 2));
          expect(result.blocksPerRow).toBe(3);
          expect([...result.data]).toEqual([...want.data]);
          expect([...result.scales]).toEqual([...want.scales]);
          expect([...result.zeroPoints]).toEqual([...want.zeroPoints]);
        });
        for (const result of results) quantizer.recycle(result);
      }
    } finally {
      await quantizer.close();
    }
  });

  it("rejects NaN weights with the row, and a truncated file naming it", async () => {
    const quantizer = (await WorkerQuantizer.start(1)) as WorkerQuantizer;
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
    expect(await WorkerQuantizer.start(0)).toBeUndefined();
  });
});

describe("inline quantizer", () => {
  it("gives the reference's bytes from a file and from a Blob", async () => {
    const quantizer = new InlineQuantizer();
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
