import { describe, expect, it } from "vitest";
import { PmtilesByteSource } from "./pmtiles-source";
import { BlobSource } from "./source";

describe("PmtilesByteSource", () => {
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
  const source = new PmtilesByteSource(new BlobSource(new Blob([bytes]), "archive.pmtiles"));

  it("serves pmtiles' reads from the project's ByteSource under its key", async () => {
    expect(source.getKey()).toBe("archive.pmtiles");
    const { data } = await source.getBytes(10, 5);
    expect([...new Uint8Array(data)]).toEqual([10, 11, 12, 13, 14]);
  });

  it("clamps the 16 kB header read pmtiles makes to the archive's size", async () => {
    const { data } = await source.getBytes(0, 16_384);
    expect(data.byteLength).toBe(100);
    expect((await source.getBytes(100, 10)).data.byteLength).toBe(0);
  });

  it("passes an abort on", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(source.getBytes(0, 4, controller.signal)).rejects.toThrow();
  });
});
