import { describe, expect, it } from "vitest";
import { crsFromEpsg, crsFromGeoKeys, crsToLngLat } from "./crs";
import type { Crs } from "./crs-types";
import { baseGeographicCode, plainWkt } from "./crs-wkt";
import { placeDatum } from "./datum-shift";
import type { BBox } from "./tiles";

async function epsg(code: number): Promise<Crs> {
  const result = await crsFromEpsg(code);
  if (!result.valid) throw new Error(result.reason);
  return result.crs;
}

async function placed(crs: Crs, extent: BBox): Promise<Crs> {
  const result = await placeDatum(crs, extent);
  if (!result.valid) throw new Error(result.reason);
  return result.crs;
}

/** Metres between two longitude/latitude points (a few kilometres apart at most). */
function metresBetween([lng1, lat1]: [number, number], [lng2, lat2]: [number, number]): number {
  const radians = Math.PI / 180;
  return Math.hypot((lng2 - lng1) * radians * 6378137 * Math.cos(lat1 * radians), (lat2 - lat1) * radians * 6378137);
}

/** A small extent around a point, reaching 0.2° west of it: across the antimeridian near 180°. */
const around = ([lng, lat]: [number, number]): BBox => ({
  west: lng - 0.2 < -180 ? lng + 359.8 : lng - 0.2,
  south: lat - 0.05,
  east: lng + 0.05,
  north: lat + 0.05,
});

/**
 * Where GDAL 3.6.2 with PROJ 9.1.1 (EPSG v10.076) puts a point of each CRS: `gdaltransform -s_srs EPSG:<code>
 * -t_srs EPSG:4326` on Debian 12. PROJ uses a transformation only inside its area of use; outside every one it
 * applies none.
 */
const GDAL: Array<{ code: number; point: [number, number]; lngLat: [number, number]; shift: string }> = [
  // Beijing 1954 at 120° E, 30.7° N: no Beijing 1954 → WGS 84 transformation covers it (EPSG:15921 is the Tarim basin's).
  { code: 2437, point: [502870, 3397780], lngLat: [120.029957150441, 30.7000450239835], shift: "none" },
  // In the Tarim basin: EPSG:15921.
  { code: 2424, point: [517360, 4318570], lngLat: [81.1999436871114, 39.000033158704], shift: "15.8,-154.4,-82.3" },
  // In the Ordos basin, where two 1 m transformations overlap: PROJ prefers EPSG:15936.
  {
    code: 2433,
    point: [544470, 4096670],
    lngLat: [108.500010520744, 36.9999915912278],
    shift: "11.911,-154.833,-80.079",
  },
  // Fiji 1956 / UTM zone 60S east of 180°: EPSG:15875, whose area (176.81° E to 179.77° W) crosses the antimeridian.
  {
    code: 3141,
    point: [830860, 8140170],
    lngLat: [-179.899988561958, -16.7999803144764],
    shift: "265.025,384.929,-194.046",
  },
  // Xian 1980: EPSG has no transformation to WGS 84 at all.
  { code: 2385, point: [502870, 3397720], lngLat: [120.029957636459, 30.7000340726775], shift: "none" },
];

describe("placeDatum", () => {
  for (const { code, point, lngLat, shift } of GDAL) {
    it(`places EPSG:${code} where GDAL does, within 0.5 m (datum shift ${shift})`, async () => {
      const crs = await placed(await epsg(code), around(lngLat));
      expect(metresBetween(crsToLngLat(crs, point), lngLat)).toBeLessThan(0.5);
      expect(/\+towgs84=(\S+)/.exec(crs.proj4)?.[1] ?? "none").toBe(shift);
    });
  }

  it("says so when no transformation covers the raster, with how far the others would move it", async () => {
    const beijing = await placed(await epsg(2437), around([120.03, 30.7]));
    expect(beijing.note).toMatch(
      /^no EPSG transformation from Beijing 1954 to WGS 84 covers this raster \(their areas: China - Ordos basin; .* and \d more\), so it is placed without a datum shift and may be off by \d+–\d+ m/,
    );
    // The Tarim basin's transformation moved it 63 m (the app's old placement, as GDAL found); the range is in 5 m steps.
    const [low, high] = (/off by (\d+)–(\d+) m/.exec(beijing.note ?? "") ?? []).slice(1).map(Number);
    expect(low).toBeLessThanOrEqual(65);
    expect(high).toBeGreaterThanOrEqual(60);
    const xian = await placed(await epsg(2385), around([120.03, 30.7]));
    expect(xian.note).toMatch(
      /^EPSG gives no transformation from Xian 1980 to WGS 84, so it is placed without a datum shift/,
    );
    expect((await placed(await epsg(2424), around([81.2, 39])))?.note).toBeUndefined();
  });

  it("notes a user-defined ellipsoid without GeogTOWGS84GeoKey, and keeps the shift a file gives", async () => {
    const keys = {
      GTModelTypeGeoKey: 1,
      ProjectedCSTypeGeoKey: 32767,
      GeographicTypeGeoKey: 32767,
      GeogEllipsoidGeoKey: 7024,
      GeogSemiMajorAxisGeoKey: 6378245,
      GeogInvFlatteningGeoKey: 298.3,
      ProjCoordTransGeoKey: 1,
      ProjNatOriginLongGeoKey: 120,
      ProjScaleAtNatOriginGeoKey: 1,
      ProjFalseEastingGeoKey: 500000,
    };
    const bare = await crsFromGeoKeys(keys);
    if (!bare?.valid) throw new Error("not read");
    expect((await placed(bare.crs, around([120.03, 30.7]))).note).toMatch(
      /no datum shift to WGS 84 \(GeogTOWGS84GeoKey\).*gdal_edit.py -a_srs EPSG:/,
    );
    const given = await crsFromGeoKeys({ ...keys, GeogTOWGS84GeoKey: [15.8, -154.4, -82.3] });
    if (!given?.valid) throw new Error("not read");
    const kept = await placed(given.crs, around([120.03, 30.7]));
    expect(kept.note).toBeUndefined();
    expect(kept.proj4).toContain("+towgs84=15.8,-154.4,-82.3");
    expect(kept.wkt).toContain("TOWGS84[15.8,-154.4,-82.3]");
  });
});

describe("the .prj's WKT", () => {
  it("is the registry's plain WKT, which GDAL identifies: no PROJ4_GRIDS extension, no TOWGS84", async () => {
    const british = await epsg(27700);
    expect(british.wkt).not.toMatch(/EXTENSION|TOWGS84/);
    expect(british.wkt).toMatch(/^PROJCS\["OSGB36 \/ British National Grid",.*AUTHORITY\["EPSG","27700"\]\]$/);
    expect((await epsg(2437)).wkt).not.toMatch(/TOWGS84/);
    expect(plainWkt('GEOGCS["A",DATUM["B",SPHEROID["C",1,2],TOWGS84[1,2,3,0,0,0,0]],AUTHORITY["EPSG","4214"]]')).toBe(
      'GEOGCS["A",DATUM["B",SPHEROID["C",1,2]],AUTHORITY["EPSG","4214"]]',
    );
    expect(baseGeographicCode(british.wkt)).toBe(4277);
  });
});
