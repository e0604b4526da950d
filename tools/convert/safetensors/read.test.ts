import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { halfToFloat, readShardHeader, toFloat32 } from "../../../src/convert/safetensors/read.ts";
import { FileSource } from "../../io/file-source.ts";
import { openCheckpointDir } from "../node-folder.ts";
import { float32ToBf16Bytes, writeSafetensors } from "./write.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "st-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const values = new Float32Array([1, -2.5, 0.15625, 3e-3, 65504, -0]);

async function writeTwoShards() {
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]);
  await writeSafetensors(join(dir, "model-00001-of-00002.safetensors"), [
    { name: "a.weight", dtype: "BF16", shape: [2, 3], data: float32ToBf16Bytes(values) },
    { name: "b.bias", dtype: "F32", shape: [6], data: new Uint8Array(values.buffer.slice(0)) },
  ]);
  await writeSafetensors(join(dir, "model-00002-of-00002.safetensors"), [
    { name: "c.weight", dtype: "F16", shape: [4], data: new Uint8Array(f16.buffer) },
  ]);
  const weight_map = {
    "a.weight": "model-00001-of-00002.safetensors",
    "b.bias": "model-00001-of-00002.safetensors",
    "c.weight": "model-00002-of-00002.safetensors",
  };
  await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map }));
}

describe("safetensors reader", () => {
  it("parses headers: names, dtypes, shapes, shards and absolute offsets", async () => {
    await writeTwoShards();
    const header = await readShardHeader(new FileSource(join(dir, "model-00001-of-00002.safetensors")), "s1");
    expect(header.tensors.map((t) => [t.name, t.dtype, t.shape, t.byteLength])).toEqual([
      ["a.weight", "BF16", [2, 3], 12],
      ["b.bias", "F32", [6], 24],
    ]);
    expect(header.tensors[1].offset - header.tensors[0].offset).toBe(12);
    expect(header.tensors[0].offset % 8).toBe(0);
  });

  it("reads tensors across shards, widening bf16 and fp16 to float32", async () => {
    await writeTwoShards();
    const checkpoint = await openCheckpointDir(dir);
    expect(checkpoint.shards).toHaveLength(2);
    expect([...(await checkpoint.readFloat32("b.bias"))]).toEqual([...values]);
    const bf16 = await checkpoint.readFloat32("a.weight");
    for (let i = 0; i < values.length; i++) expect(bf16[i]).toBeCloseTo(values[i], Math.abs(values[i]) > 100 ? -3 : 2);
    expect([...(await checkpoint.readFloat32("c.weight"))]).toEqual([1, -2, 65504, 2 ** -24]);
  });

  it("rounds bf16 to nearest and keeps exact values exact", () => {
    const exact = new Float32Array([1, -2, 0.5, 3]);
    expect([...toFloat32(float32ToBf16Bytes(exact), "BF16")]).toEqual([1, -2, 0.5, 3]);
    const near = toFloat32(float32ToBf16Bytes(new Float32Array([1.00390625 + 1e-6])), "BF16");
    expect(near[0]).toBe(1.0078125);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
  });

  it("names a truncated shard with expected and actual bytes", async () => {
    await writeTwoShards();
    const path = join(dir, "model-00001-of-00002.safetensors");
    const header = await readShardHeader(new FileSource(path), "x");
    await truncate(path, header.expectedBytes - 5);
    await expect(openCheckpointDir(dir)).rejects.toThrow(
      new RegExp(
        `model-00001-of-00002.safetensors: truncated: expected ${header.expectedBytes} bytes, found ${header.expectedBytes - 5}`,
      ),
    );
  });

  it("names a missing shard", async () => {
    await writeTwoShards();
    await rm(join(dir, "model-00002-of-00002.safetensors"));
    await expect(openCheckpointDir(dir)).rejects.toThrow(/model-00002-of-00002.safetensors: file not found/);
  });

  it("reads a single model.safetensors without an index", async () => {
    await writeSafetensors(join(dir, "model.safetensors"), [
      { name: "x", dtype: "F32", shape: [1], data: new Uint8Array(new Float32Array([7]).buffer) },
    ]);
    const checkpoint = await openCheckpointDir(dir);
    expect([...(await checkpoint.readFloat32("x"))]).toEqual([7]);
    await expect(checkpoint.readFloat32("y")).rejects.toThrow(/Tensor y is not in the checkpoint/);
  });
});
