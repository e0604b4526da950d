import { writeArrayBuffer } from "geotiff";
import { describe, expect, it } from "vitest";
import { lngLatToWorldPixel } from "../geo/mercator";
import { openGeoTiff, renderGeoTiffTile } from "./geotiff";

const WIDTH = 64;
const HEIGHT = 48;

/** An RGB GeoTIFF whose left half is red and right half blue, placed by a tie point and pixel scale. */
function geoTiff(keys: Record<string, number>, origin: [number, number], pixel: [number, number]): Blob {
  const values = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let i = 0; i < WIDTH * HEIGHT; i++) {
    const left = i % WIDTH < WIDTH / 2;
    values.set(left ? [220, 20, 20] : [20, 20, 220], i * 3);
  }
  const buffer = writeArrayBuffer(values, {
    width: WIDTH,
    height: HEIGHT,
    SamplesPerPixel: 3,
    BitsPerSample: [8, 8, 8],
    PhotometricInterpretation: 2,
    ModelPixelScale: [pixel[0], pixel[1], 0],
    ModelTiepoint: [0, 0, 0, origin[0], origin[1], 0],
    ...keys,
  });
  return new Blob([buffer]);
}

describe("openGeoTiff", () => {
  it("places an EPSG:4326 file and renders Web Mercator tiles from it", async () => {
    const file = geoTiff({ GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4326 }, [10, 48.01], [0.0005, 0.0005]);
    const result = await openGeoTiff(file, "field.tif");
    if (!result.valid) throw new Error(result.reason);
    const { raster } = result;
    expect(raster.epsg).toBe(4326);
    expect(raster.bbox.west).toBeCloseTo(10, 9);
    expect(raster.bbox.east).toBeCloseTo(10 + WIDTH * 0.0005, 9);
    expect(raster.bbox.north).toBeCloseTo(48.01, 9);
    expect(raster.bbox.south).toBeCloseTo(48.01 - HEIGHT * 0.0005, 9);
    // 0.0005° is about 37 m of ground at 48° N: zoom 13 maps one screen pixel to about 12 m there.
    expect(raster.maxZoom).toBe(13);

    const z = 15;
    const probe = (lng: number) => {
      const [px, py] = lngLatToWorldPixel([lng, 48.0], z);
      const tile = renderGeoTiffTile(raster, z, Math.floor(px / 256), Math.floor(py / 256));
      if (!tile) throw new Error("expected a tile");
      const at = (Math.floor(py % 256) * 256 + Math.floor(px % 256)) * 4;
      return Array.from(tile.subarray(at, at + 4));
    };
    expect(probe(10.005)).toEqual([220, 20, 20, 255]);
    expect(probe(10.025)).toEqual([20, 20, 220, 255]);
    expect(renderGeoTiffTile(raster, z, 0, 0)).toBeNull();
  });

  it("places an EPSG:3857 file", async () => {
    const file = geoTiff({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 3857 }, [1113194.9, 6106854.8], [10, 10]);
    const result = await openGeoTiff(file, "mercator.tif");
    if (!result.valid) throw new Error(result.reason);
    expect(result.raster.epsg).toBe(3857);
    expect(result.raster.bbox.west).toBeCloseTo(10, 4);
    expect(result.raster.bbox.north).toBeCloseTo(48, 2);
  });

  it("refuses other projections, naming the code and how to reproject", async () => {
    const file = geoTiff({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32632 }, [500000, 5300000], [10, 10]);
    const result = await openGeoTiff(file, "utm.tif");
    expect(result).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/EPSG:32632.*gdalwarp -t_srs EPSG:3857/),
    });
  });

  it("refuses a file that is not a GeoTIFF", async () => {
    const result = await openGeoTiff(new Blob(["just some text, not an image"]), "notes.txt");
    expect(result).toMatchObject({ valid: false, reason: expect.stringMatching(/^notes.txt is not a GeoTIFF/) });
  });
});
