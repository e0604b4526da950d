import { PMTiles, type RangeResponse, type Source, TileType } from "pmtiles";
import { describe, expect, it } from "vitest";
import { PmtilesWriter } from "./writer";

class MemorySource implements Source {
  constructor(private readonly bytes: Uint8Array) {}
  getKey() {
    return "memory";
  }
  async getBytes(offset: number, length: number): Promise<RangeResponse> {
    return { data: this.bytes.slice(offset, offset + length).buffer };
  }
}

const info = {
  tileType: TileType.Png as const,
  bounds: { west: 10, south: 47.9, east: 10.1, north: 48 },
  center: { lng: 10.05, lat: 47.95, zoom: 14 },
  metadata: { name: "test", attribution: "synthetic" },
};

function tileBytes(z: number, x: number, y: number): Uint8Array {
  return new TextEncoder().encode(`tile ${z}/${x}/${y}`);
}

describe("PmtilesWriter", () => {
  it("writes an archive the pmtiles package reads back: header, metadata and every tile", async () => {
    const writer = new PmtilesWriter();
    const written: Array<[number, number, number]> = [];
    for (let z = 12; z <= 14; z++) {
      for (let x = 0; x < 3; x++) {
        for (let y = 0; y < 2; y++) {
          writer.addTile(z, 2170 * 2 ** (z - 12) + x, 1440 * 2 ** (z - 12) + y, tileBytes(z, x, y));
          written.push([z, x, y]);
        }
      }
    }
    const archive = new PMTiles(new MemorySource(writer.finish(info)));
    const header = await archive.getHeader();
    expect(header.minZoom).toBe(12);
    expect(header.maxZoom).toBe(14);
    expect(header.tileType).toBe(TileType.Png);
    expect(header.minLon).toBeCloseTo(10, 6);
    expect(await archive.getMetadata()).toEqual(info.metadata);
    for (const [z, x, y] of written) {
      const tile = await archive.getZxy(z, 2170 * 2 ** (z - 12) + x, 1440 * 2 ** (z - 12) + y);
      expect(new TextDecoder().decode(tile?.data)).toBe(`tile ${z}/${x}/${y}`);
    }
    expect(await archive.getZxy(14, 0, 0)).toBeUndefined();
  });

  it("moves entries to leaf directories when the root would pass 16 KiB", async () => {
    const writer = new PmtilesWriter();
    for (let x = 0; x < 128; x++) {
      for (let y = 0; y < 64; y++) writer.addTile(7, x, y, tileBytes(7, x, y));
    }
    const archive = new PMTiles(new MemorySource(writer.finish(info)));
    const header = await archive.getHeader();
    expect(header.leafDirectoryLength).toBeGreaterThan(0);
    const tile = await archive.getZxy(7, 101, 63);
    expect(new TextDecoder().decode(tile?.data)).toBe("tile 7/101/63");
  });

  it("refuses an empty archive", () => {
    expect(() => new PmtilesWriter().finish(info)).toThrow(/at least one tile/);
  });
});
