import { fromArrayBuffer } from "geotiff";
import { describe, expect, it } from "vitest";
import { coordinateLevels, decodePixel, encodePixel, tiffBytes } from "./writer";

const geo = {
  origin: [600000, 5400000] as [number, number],
  pixelSize: [10, 10] as [number, number],
  keys: { 1024: 1, 1025: 1, 3072: 32632 },
};

async function open(bytes: Uint8Array) {
  return fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

describe("the fixture GeoTIFF writer", () => {
  for (const bigTiff of [false, true]) {
    it(`writes a tiled ${bigTiff ? "BigTIFF" : "TIFF"} with overviews that geotiff.js reads back`, async () => {
      const tiff = await open(tiffBytes({ levels: coordinateLevels(700, 500, 2), geo, bigTiff }));
      expect(await tiff.getImageCount()).toBe(3);
      const full = await tiff.getImage(0);
      expect([full.getWidth(), full.getHeight(), full.getTileWidth()]).toEqual([700, 500, 256]);
      expect(full.getOrigin()).toEqual([600000, 5400000, 0]);
      expect(full.getResolution()).toEqual([10, -10, 0]);
      expect(full.getGeoKeys()).toMatchObject({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32632 });
      const window = [300, 260, 302, 262];
      const rgb = (await full.readRasters({ window, interleave: true })) as unknown as Uint8Array;
      expect(Array.from(rgb.slice(0, 3))).toEqual(encodePixel(300, 260));
      expect(Array.from(rgb.slice(6, 9))).toEqual(encodePixel(300, 261));
      const overview = await tiff.getImage(2);
      expect([overview.getWidth(), overview.getHeight()]).toEqual([175, 125]);
      const coarse = (await overview.readRasters({
        window: [100, 50, 101, 51],
        interleave: true,
      })) as unknown as Uint8Array;
      expect(decodePixel(coarse, [400, 200])).toEqual([400, 200]);
    });
  }

  it("stores non-integer GeoKeys as doubles", async () => {
    const tiff = await open(
      tiffBytes({
        levels: coordinateLevels(64, 64, 0),
        geo: { ...geo, keys: { 1024: 1, 3072: 32767, 3075: 1, 3080: 9, 3092: 0.9996, 3082: 500000 } },
      }),
    );
    expect((await tiff.getImage()).getGeoKeys()).toMatchObject({
      ProjectedCSTypeGeoKey: 32767,
      ProjNatOriginLongGeoKey: 9,
      ProjScaleAtNatOriginGeoKey: 0.9996,
      ProjFalseEastingGeoKey: 500000,
    });
  });
});
