import { describe, expect, it } from "vitest";
import {
  crsToPixel,
  georefForWorldWindow,
  groundSampleDistance,
  lngLatToPixel,
  parseWorldFile,
  pixelToCrs,
  pixelToLngLat,
  worldFile,
} from "./georef";
import {
  lngLatToMercator,
  lngLatToWorldPixel,
  MAX_MERCATOR_LAT,
  mercatorToLngLat,
  worldPixelToLngLat,
  worldSizePx,
} from "./mercator";
import { bboxToPixelWindow, tileBBox, tilesCoveringWindow } from "./tiles";

const latitudes = [-MAX_MERCATOR_LAT + 1e-6, -85, -60, -1e-9, 0, 30.5, 59.9, 85, MAX_MERCATOR_LAT - 1e-6];
const longitudes = [-180, -179.9999, -0.5, 0, 13.4, 179.9999];

describe("Web Mercator", () => {
  it("maps known points to their EPSG:3857 metres", () => {
    const [x0, y0] = lngLatToMercator([0, 0]);
    expect(x0).toBe(0);
    expect(Math.abs(y0)).toBeLessThan(1e-6);
    const [x, y] = lngLatToMercator([180, MAX_MERCATOR_LAT]);
    expect(x).toBeCloseTo(20037508.342789244, 6);
    expect(y).toBeCloseTo(20037508.342789244, 3);
  });

  it("round-trips lng/lat → world pixel → lng/lat → world pixel within 0.5 px at zooms 0–22", () => {
    for (let zoom = 0; zoom <= 22; zoom++) {
      for (const lat of latitudes) {
        for (const lng of longitudes) {
          const px = lngLatToWorldPixel([lng, lat], zoom);
          const back = lngLatToWorldPixel(worldPixelToLngLat(px, zoom), zoom);
          expect(Math.abs(back[0] - px[0])).toBeLessThan(0.5);
          expect(Math.abs(back[1] - px[1])).toBeLessThan(0.5);
        }
      }
    }
  });

  it("round-trips metres and degrees", () => {
    for (const lat of latitudes) {
      const [lng2, lat2] = mercatorToLngLat(lngLatToMercator([42.25, lat]));
      expect(lng2).toBeCloseTo(42.25, 9);
      expect(lat2).toBeCloseTo(lat, 9);
    }
  });
});

describe("GeoReference", () => {
  it("round-trips image pixel → lng/lat → pixel within 0.5 px at zooms 0–22, near ±85° and across the antimeridian", () => {
    const bboxes = [
      { west: 179.99, south: -0.01, east: -179.99, north: 0.01 },
      { west: 10, south: 84.9, east: 10.01, north: 85 },
      { west: -70, south: -85.05, east: -69.99, north: -85 },
    ];
    for (let zoom = 0; zoom <= 22; zoom++) {
      for (const bbox of bboxes) {
        const window = bboxToPixelWindow(bbox, zoom);
        const ref = georefForWorldWindow(window, zoom);
        for (const p of [
          [0, 0],
          [window.width, window.height],
          [window.width / 3, window.height / 7],
        ] as Array<[number, number]>) {
          const back = lngLatToPixel(ref, pixelToLngLat(ref, p));
          expect(Math.abs(back[0] - p[0]), `zoom ${zoom} bbox ${JSON.stringify(bbox)}`).toBeLessThan(0.5);
          expect(Math.abs(back[1] - p[1])).toBeLessThan(0.5);
        }
      }
    }
  });

  it("inverts a rotated affine transform exactly", () => {
    const ref = {
      width: 10,
      height: 10,
      transform: [1000, 2, 0.5, 5000, 0.25, -3] as [number, number, number, number, number, number],
    };
    const p: [number, number] = [3.25, 7.5];
    const [c, r] = crsToPixel(ref, pixelToCrs(ref, p));
    expect(c).toBeCloseTo(3.25, 10);
    expect(r).toBeCloseTo(7.5, 10);
  });

  it("places a window's corner on the tile grid and gives the ground sample distance at its latitude", () => {
    const ref = georefForWorldWindow({ left: 256, top: 512, width: 256, height: 256 }, 2);
    expect(pixelToCrs(ref, [0, 0])[0]).toBeCloseTo(-10018754.171394622, 6);
    expect(pixelToCrs(ref, [0, 0])[1]).toBeCloseTo(0, 6);
    const equator = georefForWorldWindow({ left: 0, top: worldSizePx(10) / 2 - 1, width: 2, height: 2 }, 10);
    expect(groundSampleDistance(equator)).toBeCloseTo(152.8740565703525, 3);
  });

  it("writes a world file for the centre of the top-left pixel", () => {
    const ref = georefForWorldWindow({ left: 0, top: 0, width: 1, height: 1 }, 0);
    const [a, d, b, e, c, f] = worldFile(ref).trim().split("\n").map(Number);
    expect(a).toBeCloseTo(40075016.68557849 / 256, 6);
    expect(e).toBeCloseTo(-40075016.68557849 / 256, 6);
    expect(b).toBe(0);
    expect(d).toBe(0);
    expect(c).toBeCloseTo(-20037508.342789244 + a / 2, 4);
    expect(f).toBeCloseTo(20037508.342789244 + e / 2, 4);
  });

  it("reads a world file back into the georeference it was written from, and names a bad one", () => {
    const ref = georefForWorldWindow({ left: 70000, top: 45000, width: 448, height: 416 }, 17);
    const read = parseWorldFile(worldFile(ref), 448, 416);
    if (!read.valid) throw new Error(read.reason);
    for (const [i, v] of read.georef.transform.entries()) expect(v).toBeCloseTo(ref.transform[i], 4);
    expect(parseWorldFile("1\n0\n0\n-1\n5", 10, 10)).toEqual({
      valid: false,
      reason: "a world file holds six numbers, one a line; this one holds 5.",
    });
    expect(parseWorldFile("0 0 0 0 1 1", 10, 10).valid).toBe(false);
  });
});

describe("tiles", () => {
  it("covers a window with the tiles and offsets that tile it exactly", () => {
    const tiles = tilesCoveringWindow({ left: 300, top: 10, width: 300, height: 250 }, 3);
    expect(tiles.map((t) => [t.tile.x, t.tile.y, t.dx, t.dy])).toEqual([
      [1, 0, -44, -10],
      [2, 0, 212, -10],
      [1, 1, -44, 246],
      [2, 1, 212, 246],
    ]);
  });

  it("wraps columns across the antimeridian", () => {
    const window = bboxToPixelWindow({ west: 170, south: -5, east: -170, north: 5 }, 2);
    const westPx = (350 / 360) * 1024;
    expect(window.width).toBe(Math.round(westPx + (20 / 360) * 1024) - Math.round(westPx));
    const columns = new Set(tilesCoveringWindow(window, 2).map((t) => t.tile.x));
    expect([...columns].sort()).toEqual([0, 3]);
  });

  it("gives the bbox of a tile", () => {
    const bbox = tileBBox({ z: 1, x: 1, y: 0 });
    expect(bbox.west).toBe(0);
    expect(bbox.east).toBe(180);
    expect(bbox.south).toBeCloseTo(0, 12);
    expect(bbox.north).toBeCloseTo(MAX_MERCATOR_LAT, 9);
  });
});
