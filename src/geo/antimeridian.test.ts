import { describe, expect, it } from "vitest";
import { boxesToGeoJson } from "../tasks/geojson";
import { cutForFile, cutRingAtAntimeridian } from "./antimeridian";
import { crsFromEpsg } from "./crs";
import { bboxCentre, bboxContains, ringBBox } from "./extent";
import { type GeoReference, pixelRectToBBox } from "./georef";
import { lngSpan } from "./tiles";

async function georef(epsg: number, origin: [number, number], width: number, height: number): Promise<GeoReference> {
  const crs = await crsFromEpsg(epsg);
  if (!crs.valid) throw new Error(crs.reason);
  return { width, height, transform: [origin[0], 10, 0, origin[1], 0, -10], crs: crs.crs };
}

/**
 * Rasters of a few kilometres across 180°, 10 m pixels; where 180° crosses each was worked out with proj4 from the
 * registry's definition (e.g. UTM 60N: 180° E, 52° N is E 705,929 m, N 5,765,288 m).
 */
const ACROSS_180: Array<{
  place: string;
  epsg: number;
  origin: [number, number];
  size: [number, number];
  lat: number;
}> = [
  { place: "UTM zone 60N, the western Aleutians", epsg: 32660, origin: [702000, 5767000], size: [600, 400], lat: 52 },
  {
    place: "UTM zone 1S, Fiji's east (Taveuni)",
    epsg: 32701,
    origin: [175000, 8142000],
    size: [1000, 400],
    lat: -16.8,
  },
  { place: "the Fiji Map Grid", epsg: 3460, origin: [2128000, 4024000], size: [1000, 500], lat: -16.8 },
  { place: "Alaska Albers, the Aleutians", epsg: 3338, origin: [-1754000, 572000], size: [1000, 1000], lat: 52 },
];

describe("extents across the antimeridian", () => {
  for (const { place, epsg, origin, size, lat } of ACROSS_180) {
    it(`a raster in ${place} (EPSG:${epsg}) spans a few km across 180°, not the world`, async () => {
      const ref = await georef(epsg, origin, ...size);
      const bbox = pixelRectToBBox(ref, [0, 0, ...size], 16);
      expect(bbox.west).toBeGreaterThan(179);
      expect(bbox.east).toBeLessThan(-179);
      expect(lngSpan(bbox)).toBeLessThan(0.2);
      expect(bboxContains(bbox, { west: 180, south: lat - 0.001, east: -180, north: lat + 0.001 })).toBe(true);
      expect(Math.abs(bboxCentre(bbox)[0])).toBeGreaterThan(179.9);
    });
  }

  it("leaves an extent that does not cross it as it was, and gives a ring around a pole every longitude", () => {
    const berlin = ringBBox([
      [13.3, 52.6],
      [13.5, 52.6],
      [13.5, 52.4],
      [13.3, 52.4],
    ]);
    expect(berlin).toEqual({ west: 13.3, south: 52.4, east: 13.5, north: 52.6 });
    const aroundPole = ringBBox([0, 90, 180, 270].map((lng) => [lng > 180 ? lng - 360 : lng, 80]));
    expect(aroundPole).toEqual({ west: -180, south: 80, east: 180, north: 80 });
    // Drawn on the map's next world copy: the same place.
    expect(
      ringBBox([
        [370, 1],
        [380, 1],
        [380, 0],
        [370, 0],
      ]),
    ).toEqual({ west: 10, south: 0, east: 20, north: 1 });
  });

  it("draws a box across 180° as a small polygon with continuous longitudes, not a ring around the world", async () => {
    const ref = await georef(32660, [702000, 5767000], 600, 400);
    const { features } = boxesToGeoJson([{ index: 0, label: "x", status: "ok", pixels: [100, 100, 500, 300] }], ref);
    const lngs = features[0].geometry.coordinates[0].map(([lng]) => lng);
    expect(Math.max(...lngs) - Math.min(...lngs)).toBeLessThan(0.1);
    expect(Math.min(...lngs)).toBeLessThan(180);
    expect(Math.max(...lngs)).toBeGreaterThan(180);
  });

  it("writes a box across 180° to a file as two polygons cut along it, each within ±180° (RFC 7946 §3.1.9)", async () => {
    const ref = await georef(32660, [702000, 5767000], 600, 400);
    const drawn = boxesToGeoJson([{ index: 0, label: "x", status: "ok", pixels: [100, 100, 500, 300] }], ref);
    const { features } = cutForFile(drawn);
    const geometry = features[0].geometry;
    if (geometry.type !== "MultiPolygon") throw new Error(`a ${geometry.type}, not a MultiPolygon`);
    const [east, west] = geometry.coordinates.map(([ring]) => ring.map(([lng]) => lng));
    expect(Math.min(...east)).toBeGreaterThan(179.9);
    expect(Math.max(...east)).toBe(180);
    expect(Math.min(...west)).toBe(-180);
    expect(Math.max(...west)).toBeLessThan(-179.9);
    // The parts cover the box: their longitude spans add up to its own.
    const span = (lngs: number[]) => Math.max(...lngs) - Math.min(...lngs);
    const whole = drawn.features[0].geometry.coordinates[0].map(([lng]) => lng);
    expect(span(east) + span(west)).toBeCloseTo(span(whole), 9);
    // Properties stay with the feature; each part is a closed ring.
    expect(features[0].properties).toEqual(drawn.features[0].properties);
    for (const [ring] of geometry.coordinates) expect(ring.at(-1)).toEqual(ring[0]);
  });

  it("cuts where each edge meets 180°, and moves a shape drawn on the next world copy into −180…180", () => {
    const square: [number, number][] = [
      [179, 0],
      [181, 0],
      [181, 2],
      [179, 2],
      [179, 0],
    ];
    expect(cutRingAtAntimeridian(square)).toEqual([
      [
        [179, 0],
        [180, 0],
        [180, 2],
        [179, 2],
        [179, 0],
      ],
      [
        [-180, 0],
        [-179, 0],
        [-179, 2],
        [-180, 2],
        [-180, 0],
      ],
    ]);
    const slanted = cutRingAtAntimeridian([
      [178, 0],
      [182, 4],
      [178, 4],
      [178, 0],
    ]);
    expect(slanted[0]).toContainEqual([180, 2]);
    const nextCopy = cutRingAtAntimeridian([
      [190, 1],
      [191, 1],
      [191, 2],
      [190, 1],
    ]);
    expect(nextCopy).toEqual([
      [
        [-170, 1],
        [-169, 1],
        [-169, 2],
        [-170, 1],
      ],
    ]);
  });

  it("leaves a polygon within ±180° as it was", () => {
    const berlin: GeoJSON.FeatureCollection<GeoJSON.Polygon> = {
      type: "FeatureCollection",
      features: [
        {
          type: "Feature",
          properties: { label: "field" },
          geometry: {
            type: "Polygon",
            coordinates: [
              [
                [13.3, 52.6],
                [13.5, 52.6],
                [13.5, 52.4],
                [13.3, 52.6],
              ],
            ],
          },
        },
      ],
    };
    expect(cutForFile(berlin)).toEqual(berlin);
  });
});
