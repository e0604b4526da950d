import { describe, expect, it } from "vitest";
import { crsFromEpsg, crsFromGeoKeys, crsToLngLat, lngLatToCrs, transformsAt } from "./crs";
import type { Crs } from "./crs-types";
import { placeDatum } from "./datum-shift";
import type { BBox } from "./tiles";

async function crs(keys: Record<string, unknown>) {
  const result = await crsFromGeoKeys(keys);
  if (!result?.valid) throw new Error(result?.reason ?? "no CRS");
  return result.crs;
}

/** The CRS tied to WGS 84 for a raster lying in `extent`. */
async function placed(untied: Crs, extent: BBox) {
  const result = await placeDatum(untied, extent);
  if (!result.valid) throw new Error(result.reason);
  return result.crs;
}

const SWITZERLAND = { west: 7.3, south: 46.9, east: 7.5, north: 47.0 };
const GREAT_BRITAIN = { west: -6.5, south: 49.9, east: 1.7, north: 55.8 };
const QUEBEC = { west: -64.5, south: 48.5, east: -64.4, north: 48.6 };

/**
 * Ten of the Ordnance Survey's test points for OSTN15 (file OSTN15_OSGM15_TestInput_OSGBtoETRS.txt and its output
 * OSTN15_OSGM15_TestOutput_OSGBtoETRS.txt, from the OSTN15 developer pack): OSGB36 easting and northing, and the
 * ETRS89 latitude and longitude OSTN15 gives them (ETRS89 is WGS 84 within a metre; the app's Helmert, EPSG:1314,
 * is good to a few metres).
 */
const OSTN15_TEST_POINTS: Array<[string, number, number, number, number]> = [
  ["TP01", 91492.146, 11318.804, 49.9222639373, -6.29977752014],
  ["TP02", 170370.718, 11572.405, 49.9600613782, -5.20304609998],
  ["TP09", 530624.974, 178388.464, 51.4893656495, -0.1199255718],
  ["TP12", 389544.19, 261912.153, 52.2552938163, -2.15458614387],
  ["TP20", 422242.186, 433818.701, 53.8002151963, -1.66379168242],
  ["TP24", 339921.145, 556034.761, 54.8954234042, -2.93827741149],
  ["TP29", 397160.491, 805349.736, 57.1390251896, -2.04856030746],
  ["TP34", 299721.891, 967202.992, 58.5812046128, -3.72631022121],
  ["TP38", 421300.525, 1072147.239, 59.5347079449, -1.62516966058],
  ["TP40", 395999.668, 1138728.951, 60.1330809166, -2.07382822798],
];

describe("crsFromGeoKeys", () => {
  it("reads UTM zones north and south from their EPSG codes", async () => {
    const north = await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32632 });
    expect(north).toMatchObject({ id: "EPSG:32632", name: "WGS 84 / UTM zone 32N", metresPerUnit: 1 });
    expect(north.wkt).toMatch(/^PROJCS\["WGS 84 \/ UTM zone 32N"/);
    // The central meridian of zone 32 is 9° E; false easting 500 km.
    const [lng, lat] = crsToLngLat(north, [500000, 0]);
    expect(lng).toBeCloseTo(9, 9);
    expect(lat).toBeCloseTo(0, 9);
    const south = await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32733 });
    // Southern zones put the equator at a false northing of 10,000 km.
    const [sLng, sLat] = crsToLngLat(south, [500000, 10_000_000]);
    expect(sLng).toBeCloseTo(15, 9);
    expect(sLat).toBeCloseTo(0, 9);
    const [x, y] = lngLatToCrs(south, [15, -33.9]);
    expect(x).toBeCloseTo(500000, 3);
    expect(y).toBeLessThan(10_000_000);
  });

  it("reads national grids, tied to WGS 84 where they lie (Swiss LV95)", async () => {
    const swiss = await placed(await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 2056 }), SWITZERLAND);
    // LV95's origin in WGS 84 by swisstopo's approximate formulas (about 1 m): λ = 2.6779094″·100/36, φ = 16.9023892″·100/36.
    const [lng, lat] = crsToLngLat(swiss, [2600000, 1200000]);
    expect(Math.abs(lng - (2.6779094 * 100) / 36)).toBeLessThan(1e-4);
    expect(Math.abs(lat - (16.9023892 * 100) / 36)).toBeLessThan(1e-4);
  });

  it("places the British National Grid within 5 m of the Ordnance Survey's published OSTN15 test points", async () => {
    const british = await placed(await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 27700 }), GREAT_BRITAIN);
    expect(british.note).toMatch(/EPSG:1314 \(Helmert, about 2 m\) instead of the OSTN15/);
    for (const [id, easting, northing, lat, lng] of OSTN15_TEST_POINTS) {
      const [gotLng, gotLat] = crsToLngLat(british, [easting, northing]);
      const metres = Math.hypot((gotLng - lng) * 111_320 * Math.cos((lat * Math.PI) / 180), (gotLat - lat) * 111_132);
      expect(metres, id).toBeLessThan(5);
    }
  });

  it("reads geographic CRSs in degrees", async () => {
    const wgs84 = await crs({ GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4326 });
    expect(wgs84.metresPerUnit).toBeNull();
    expect(crsToLngLat(wgs84, [10.5, 48.25])).toEqual([10.5, 48.25]);
    expect((await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 900913 })).id).toBe("EPSG:3857");
  });

  it("builds a user-defined projection from its parameters, matching the EPSG definition", async () => {
    const custom = await crs({
      GTModelTypeGeoKey: 1,
      ProjectedCSTypeGeoKey: 32767,
      GeographicTypeGeoKey: 4326,
      ProjCoordTransGeoKey: 1,
      ProjNatOriginLatGeoKey: 0,
      ProjNatOriginLongGeoKey: 9,
      ProjScaleAtNatOriginGeoKey: 0.9996,
      ProjFalseEastingGeoKey: 500000,
      ProjFalseNorthingGeoKey: 0,
      ProjLinearUnitsGeoKey: 9001,
    });
    expect(custom.id).toBe("user-defined");
    expect(custom.wkt).toMatch(/PROJECTION\["Transverse_Mercator"\]/);
    const utm = await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32632 });
    for (const point of [
      [612345, 5321987],
      [433210, 5012345],
    ] as Array<[number, number]>) {
      const a = crsToLngLat(custom, point);
      const b = crsToLngLat(utm, point);
      expect(a[0]).toBeCloseTo(b[0], 9);
      expect(a[1]).toBeCloseTo(b[1], 9);
    }
  });

  it("takes false easting in the projection's unit (US survey feet)", async () => {
    const feet = await crs({
      GTModelTypeGeoKey: 1,
      ProjectedCSTypeGeoKey: 32767,
      GeographicTypeGeoKey: 4326,
      ProjCoordTransGeoKey: 1,
      ProjNatOriginLongGeoKey: -81,
      ProjScaleAtNatOriginGeoKey: 1,
      ProjFalseEastingGeoKey: 1_000_000,
      ProjLinearUnitsGeoKey: 9003,
    });
    expect(feet.metresPerUnit).toBeCloseTo(1200 / 3937, 12);
    expect(crsToLngLat(feet, [1_000_000, 0])[0]).toBeCloseTo(-81, 9);
  });

  it("refuses, naming the code or the parameters, what proj4 cannot express", async () => {
    expect(await crsFromEpsg(99999)).toMatchObject({ valid: false, reason: expect.stringMatching(/EPSG:99999/) });
    // NAD27(CGQ77) / SCoPQ zone 2 needs a Quebec grid, and no Helmert transformation covers Quebec.
    expect(await placeDatum(await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 2009 }), QUEBEC)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/EPSG:2009 .*needs the datum grid CQ77NA83.GSB.*no EPSG Helmert/),
    });
    expect(
      await crsFromGeoKeys({
        GTModelTypeGeoKey: 1,
        ProjectedCSTypeGeoKey: 32767,
        GeographicTypeGeoKey: 4326,
        ProjCoordTransGeoKey: 3,
        ProjCenterLatGeoKey: 4,
        ProjAzimuthAngleGeoKey: 53.3,
      }),
    ).toMatchObject({
      valid: false,
      reason: expect.stringMatching(
        /coordinate transformation 3\).*ProjCenterLatGeoKey=4.*ProjAzimuthAngleGeoKey=53.3/,
      ),
    });
    expect(await crsFromGeoKeys({ GTRasterTypeGeoKey: 1 })).toBeNull();
  });

  it("checks that a point survives the round trip", async () => {
    const utm = await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32632 });
    expect(transformsAt(utm, [500000, 5300000])).toBe(true);
    expect(transformsAt(utm, [Number.NaN, 0])).toBe(false);
  });
});
