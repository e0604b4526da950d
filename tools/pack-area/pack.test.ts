import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PMTiles, type RangeResponse, type Source } from "pmtiles";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCoordinate, startTileServer, type TileServer } from "../../e2e/support/tile-server";
import { parsePackArgs, tilesToPack } from "./pack";

let server: TileServer;
beforeAll(async () => {
  server = await startTileServer();
});
afterAll(async () => {
  await server.close();
});

class MemorySource implements Source {
  constructor(private readonly bytes: Uint8Array) {}
  getKey() {
    return "memory";
  }
  async getBytes(offset: number, length: number): Promise<RangeResponse> {
    return { data: this.bytes.slice(offset, offset + length).buffer };
  }
}

describe("pack-area", () => {
  it("validates its arguments with the fix in the message", () => {
    expect(parsePackArgs({ bbox: "1,2,3", zooms: "1-2", source: "esri" })).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/W,S,E,N/),
    });
    expect(parsePackArgs({ bbox: "1,2,3,4", zooms: "9-3", source: "esri" })).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/12-17/),
    });
    expect(parsePackArgs({ bbox: "1,2,3,4", zooms: "3-9", source: "ftp://x/{z}/{x}/{y}" })).toMatchObject({
      valid: false,
    });
    const esri = parsePackArgs({ bbox: "13.37,52.51,13.39,52.52", zooms: "12-14", source: "esri" });
    expect(esri).toMatchObject({
      valid: true,
      request: { template: expect.stringContaining("arcgisonline"), maxTiles: 5000 },
    });
  });

  it("packs the area from a local tile server into an archive with the same tiles", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "pack-area-")), "area.pmtiles");
    const args = [
      "--bbox",
      "13.37,52.51,13.39,52.52",
      "--zooms",
      "12-14",
      "--source",
      `${server.url}/cors/{z}/{x}/{y}.png`,
      "--out",
      out,
    ];
    await promisify(execFile)(process.execPath, ["--import", "tsx", "tools/pack-area/cli.ts", ...args]);
    const parsed = parsePackArgs({
      bbox: "13.37,52.51,13.39,52.52",
      zooms: "12-14",
      source: `${server.url}/cors/{z}/{x}/{y}.png`,
    });
    if (!parsed.valid) throw new Error(parsed.reason);
    const archive = new PMTiles(new MemorySource(new Uint8Array(readFileSync(out))));
    const expected = tilesToPack(parsed.request);
    expect((await archive.getHeader()).numAddressedTiles).toBe(expected.length);
    const { z, x, y } = expected[expected.length - 1];
    const tile = await archive.getZxy(z, x, y);
    const png = PNG.sync.read(Buffer.from(tile?.data ?? new ArrayBuffer(0)));
    expect(Array.from(png.data.subarray(0, 3))).toEqual(encodeCoordinate(x * 256, y * 256));
  });

  it("refuses an area over the tile cap before fetching anything", async () => {
    const before = server.requests.length;
    const args = [
      "--bbox",
      "0,0,10,10",
      "--zooms",
      "10-12",
      "--source",
      `${server.url}/cors/{z}/{x}/{y}.png`,
      "--out",
      "/tmp/x.pmtiles",
    ];
    const run = promisify(execFile)(process.execPath, ["--import", "tsx", "tools/pack-area/cli.ts", ...args]);
    await expect(run).rejects.toMatchObject({ stderr: expect.stringMatching(/over the cap of 5000/) });
    expect(server.requests.length).toBe(before);
  });
});
