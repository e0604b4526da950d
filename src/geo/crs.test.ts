import { describe, expect, it } from "vitest";
import { crsFromEpsg, crsFromGeoKeys, crsToLngLat, lngLatToCrs, transformsAt } from "./crs";

async function crs(keys: Record<string, unknown>) {
  const result = await crsFromGeoKeys(keys);
  if (!result?.valid) throw new Error(result?.reason ?? "no CRS");
  return result.crs;
}

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

  it("reads national grids with their datum shifts (Swiss LV95, British National Grid)", async () => {
    const swiss = await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 2056 });
    // LV95's origin in WGS 84 by swisstopo's approximate formulas (about 1 m): λ = 2.6779094″·100/36, φ = 16.9023892″·100/36.
    const [lng, lat] = crsToLngLat(swiss, [2600000, 1200000]);
    expect(Math.abs(lng - (2.6779094 * 100) / 36)).toBeLessThan(1e-4);
    expect(Math.abs(lat - (16.9023892 * 100) / 36)).toBeLessThan(1e-4);
    const british = await crs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 27700 });
    expect(british.note).toMatch(/EPSG:1314 \(Helmert, about 2 m\) instead of the OSTN15/);
    // Ordnance Survey's worked example (A guide to coordinate systems in Great Britain, annex C): OSGB36
    // 52°39′27.2531″ N 1°43′4.5177″ E is E 651409.903, N 313177.270.
    const osgb36 = await crs({ GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4277 });
    const lngLat = crsToLngLat(osgb36, [1 + 43 / 60 + 4.5177 / 3600, 52 + 39 / 60 + 27.2531 / 3600]);
    const [e, n] = lngLatToCrs(british, lngLat);
    expect(Math.abs(e - 651409.903)).toBeLessThan(0.01);
    expect(Math.abs(n - 313177.27)).toBeLessThan(0.01);
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
    expect(await crsFromEpsg(2009)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/EPSG:2009 .*needs the datum grid/),
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
