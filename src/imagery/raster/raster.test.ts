import proj4 from "proj4";
import { describe, expect, it } from "vitest";
import { coordinateLevels, decodePixel, encodePixel, type GeoTags, tiffBytes } from "../../../tools/geotiff/writer";
import { crsToLngLat } from "../../geo/crs";
import { lngLatToWorldPixel } from "../../geo/mercator";
import { BlobSource } from "../../io/source";
import { openRaster } from "./open-raster";
import { planRasterCrop } from "./raster-crop-plan";
import { readWindowRgba, renderRasterTile } from "./read";
import { planTile } from "./render-tile";

/** UTM 32N, written by hand rather than taken from the app's EPSG table. */
const UTM32N = "+proj=utm +zone=32 +datum=WGS84 +units=m +no_defs";
const ORIGIN: [number, number] = [560000, 5330000];
const utmGeo: GeoTags = { origin: ORIGIN, pixelSize: [10, 10], keys: { 1024: 1, 1025: 1, 3072: 32632 } };

function file(bytes: Uint8Array, name = "utm.tif"): BlobSource {
  return new BlobSource(new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
}

async function opened(bytes: Uint8Array) {
  const result = await openRaster(file(bytes), "utm.tif");
  if (!result.valid) throw new Error(result.reason);
  return result;
}

/** Where a longitude/latitude falls in the fixture's full-resolution pixels, by proj4 alone. */
function expectedPixel(lngLat: [number, number]): [number, number] {
  const [x, y] = proj4("EPSG:4326", UTM32N, lngLat);
  return [(x - ORIGIN[0]) / 10, (ORIGIN[1] - y) / 10];
}

describe("openRaster", () => {
  const bytes = tiffBytes({ levels: coordinateLevels(2000, 1500, 3), geo: utmGeo });

  it("reads the levels, CRS and extent of a UTM COG from its header and tile index only", async () => {
    const raster = await opened(bytes);
    expect(raster.info.levels).toEqual([
      { width: 2000, height: 1500 },
      { width: 1000, height: 750 },
      { width: 500, height: 375 },
      { width: 250, height: 188 },
    ]);
    expect(raster.info.georef.crs.id).toBe("EPSG:32632");
    const corner = (col: number, row: number) =>
      proj4(UTM32N, "EPSG:4326", [ORIGIN[0] + col * 10, ORIGIN[1] - row * 10]);
    // UTM's grid north turns against true north: the west edge is westmost at one of its corners.
    expect(raster.info.bbox.west).toBeCloseTo(Math.min(corner(0, 0)[0], corner(0, 1500)[0]), 6);
    expect(raster.info.bbox.north).toBeCloseTo(Math.max(corner(0, 0)[1], corner(2000, 0)[1]), 6);
    // 10 m pixels: zoom 14 has about 6.4 m map pixels at 48° N.
    expect(raster.info.maxZoom).toBe(14);
    expect(raster.reader.bytesRead).toBeLessThan(bytes.length / 10);
  });

  it("renders Web Mercator tiles whose pixels show the raster pixel under them", async () => {
    const raster = await opened(bytes);
    for (const [lngLat, z] of [
      [[9.85, 48.05], 16],
      [[9.9, 48.0], 12],
    ] as Array<[[number, number], number]>) {
      const [px, py] = lngLatToWorldPixel(lngLat, z);
      const [tx, ty] = [Math.floor(px / 256), Math.floor(py / 256)];
      const tile = await renderRasterTile(raster, z, tx, ty);
      if (!tile) throw new Error("expected a tile");
      const at = (Math.floor(py % 256) * 256 + Math.floor(px % 256)) * 4;
      const expected = expectedPixel(lngLat);
      const shown = decodePixel(tile.subarray(at, at + 3), [expected[0], expected[1]]);
      const level = planTile(raster.info, z, tx, ty)?.level ?? -1;
      // Nearest neighbour on level k shows a pixel up to 2^k full-resolution pixels away.
      expect(Math.abs(shown[0] - expected[0])).toBeLessThanOrEqual(2 ** level + 0.5);
      expect(Math.abs(shown[1] - expected[1])).toBeLessThanOrEqual(2 ** level + 0.5);
      if (z === 12) expect(level).toBeGreaterThan(0);
    }
    expect(await renderRasterTile(raster, 16, 0, 0)).toBeNull();
  });

  it("crops the raster's own pixels, exactly, with the window's georeference", async () => {
    const raster = await opened(bytes);
    const [west, north] = proj4(UTM32N, "EPSG:4326", [ORIGIN[0] + 5000, ORIGIN[1] - 3000]);
    const [east, south] = proj4(UTM32N, "EPSG:4326", [ORIGIN[0] + 7000, ORIGIN[1] - 4500]);
    const planned = planRasterCrop(raster.info, { west, south, east, north }, null);
    if (!planned.valid) throw new Error(planned.reason);
    const { window, georef, level } = planned.plan;
    expect(level).toBe(0);
    // The bbox's corners are rotated against the UTM grid: the window covers its outline.
    expect(window[0]).toBeLessThanOrEqual(500);
    expect(window[2]).toBeGreaterThanOrEqual(700);
    expect(georef.transform).toEqual([ORIGIN[0] + window[0] * 10, 10, 0, ORIGIN[1] - window[1] * 10, 0, -10]);
    expect(planned.gsd).toBeCloseTo(10, 9);
    const rgba = await readWindowRgba(raster, level, window);
    let mismatches = 0;
    for (let row = 0; row < georef.height; row++) {
      for (let col = 0; col < georef.width; col++) {
        const at = (row * georef.width + col) * 4;
        const expected = encodePixel(window[0] + col, window[1] + row);
        if (expected.some((v, i) => rgba[at + i] !== v)) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  it("crops from an overview when the selection is too large for full resolution", async () => {
    const raster = await opened(bytes);
    const planned = planRasterCrop(raster.info, raster.info.bbox, null, { maxWidth: 1024, maxHeight: 1024 });
    if (!planned.valid) throw new Error(planned.reason);
    expect(planned.plan.level).toBe(1);
    expect(planned.gsd).toBeCloseTo(20, 9);
    const refused = planRasterCrop(raster.info, raster.info.bbox, 0, { maxWidth: 1024, maxHeight: 1024 });
    expect(refused).toMatchObject({ valid: false, reason: expect.stringMatching(/Choose level 1 or Auto/) });
  });
});

describe("openRaster places a datum only where a transformation covers it", () => {
  it("a Beijing 1954 raster at 120° E, 30.7° N where GDAL does (no datum shift), and says so", async () => {
    // EPSG:2437; GDAL 3.6.2 / PROJ 9.1.1: `echo 502870 3397780 | gdaltransform -s_srs EPSG:2437 -t_srs EPSG:4326`.
    const geo: GeoTags = { origin: [502000, 3398000], pixelSize: [10, 10], keys: { 1024: 1, 1025: 1, 3072: 2437 } };
    const raster = await opened(tiffBytes({ levels: coordinateLevels(200, 200, 0), geo }));
    const [lng, lat] = crsToLngLat(raster.info.georef.crs, [502870, 3397780]);
    const metres = Math.hypot((lng - 120.029957150441) * 96_000, (lat - 30.7000450239835) * 111_000);
    expect(metres).toBeLessThan(0.5);
    expect(raster.info.georef.crs.note).toMatch(
      /^no EPSG transformation from Beijing 1954 to WGS 84 covers this raster/,
    );
  });
});

describe("openRaster refuses, by name and with the fix", () => {
  it("a truncated file, cut in its pixels or in its header", async () => {
    const whole = tiffBytes({ levels: coordinateLevels(600, 600, 1), geo: utmGeo });
    for (const cut of [whole.length - 5000, 300]) {
      const result = await openRaster(file(whole.slice(0, cut)), "cut.tif");
      expect(result).toMatchObject({ valid: false, problem: { kind: "truncated", size: cut } });
      if (!result.valid) expect(result.reason).toMatch(/^cut.tif is truncated: .* Download or copy it again/);
    }
  });

  it("a TIFF without georeferencing", async () => {
    const result = await openRaster(file(tiffBytes({ levels: coordinateLevels(64, 64, 0) })), "scan.tif");
    expect(result).toMatchObject({ valid: false, problem: { kind: "no-georeference" } });
  });

  it("a CRS proj4 cannot express, naming its code", async () => {
    const geo = { ...utmGeo, keys: { 1024: 1, 3072: 2009 } };
    const result = await openRaster(file(tiffBytes({ levels: coordinateLevels(64, 64, 0), geo })), "quebec.tif");
    expect(result).toMatchObject({ valid: false, problem: { kind: "crs" } });
    if (!result.valid) expect(result.reason).toMatch(/^quebec.tif: EPSG:2009 .*`gdalwarp -t_srs EPSG:3857/);
  });

  it("a file that is not a TIFF", async () => {
    const result = await openRaster(file(new TextEncoder().encode("just some notes")), "notes.tif");
    expect(result).toMatchObject({ valid: false, reason: expect.stringMatching(/^notes.tif is not a GeoTIFF/) });
  });
});

describe("the open rasters", () => {
  it("open a GeoTIFF once for every caller, and again only after it was released", async () => {
    const { openRasterOnce, releaseRasters } = await import("./registry");
    const blob = new Blob([
      tiffBytes({ levels: coordinateLevels(300, 300, 0), geo: utmGeo }) as Uint8Array<ArrayBuffer>,
    ]);
    const location = { kind: "file" as const, file: blob };
    const first = await openRasterOnce("a", "a.tif", location);
    expect(await openRasterOnce("a", "a.tif", location)).toBe(first);
    releaseRasters(["b"]);
    const reopened = await openRasterOnce("a", "a.tif", location);
    expect(reopened).not.toBe(first);
    releaseRasters(["a"]);
    expect(await openRasterOnce("a", "a.tif", location)).toBe(reopened);
  });
});
