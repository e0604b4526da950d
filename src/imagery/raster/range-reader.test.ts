import { describe, expect, it } from "vitest";
import { BlobSource } from "../../io/source";
import { HEAD_BYTES, RangeReader, RECENT_BYTES } from "./range-reader";

/** A file of `size` bytes whose source counts the bytes it hands out. */
function countedFile(size: number) {
  const source = new BlobSource(new Blob([new Uint8Array(size)]), "file.tif");
  const served = { bytes: 0 };
  const getBytes = source.getBytes.bind(source);
  source.getBytes = async (offset, length, signal) => {
    served.bytes += length;
    return getBytes(offset, length, signal);
  };
  return { reader: new RangeReader(source, size), served };
}

describe("RangeReader's bytes read", () => {
  it("counts each byte of the file once, however often it is read, so it never passes the file's size", async () => {
    const size = HEAD_BYTES + RECENT_BYTES + 1_000_000;
    const { reader, served } = countedFile(size);
    // The head, a slice overlapping it, then the whole rest twice over: the second pass was evicted and is read again.
    await reader.fetch([{ offset: 0, length: 100 }]);
    await reader.fetch([{ offset: HEAD_BYTES - 500, length: 1000 }]);
    const rest = HEAD_BYTES + 500;
    const pieces = Array.from({ length: 8 }, (_, i) => {
      const step = Math.ceil((size - rest) / 8);
      return { offset: rest + i * step, length: Math.min(step, size - rest - i * step) };
    });
    for (let pass = 0; pass < 2; pass++) for (const piece of pieces) await reader.fetch([piece]);
    expect(served.bytes).toBeGreaterThan(size);
    expect(reader.bytesRead).toBe(size);
  });

  it("counts disjoint and touching reads as their union", async () => {
    const { reader } = countedFile(HEAD_BYTES * 4);
    await reader.fetch([{ offset: HEAD_BYTES * 3, length: 10 }]);
    await reader.fetch([{ offset: HEAD_BYTES * 2, length: 10 }]);
    await reader.fetch([{ offset: HEAD_BYTES * 2 + 10, length: 10 }]);
    await reader.fetch([{ offset: HEAD_BYTES * 2 + 5, length: 100 }]);
    expect(reader.bytesRead).toBe(10 + 105);
  });
});
