import proj4 from "proj4";
import type { Crs, CrsResult } from "./crs-types";
import { plainWkt } from "./crs-wkt";
import { untiedDatum } from "./datum-tie";
import { lookupEpsg } from "./epsg-registry";
import { userDefinedCrs } from "./geokeys";
import type { LngLat, Point } from "./mercator";

/** Codes that files use for Web Mercator besides EPSG:3857 (ESRI and the old Google code). */
const WEB_MERCATOR_ALIASES = new Set([900913, 3785, 102100, 102113]);
const USER_DEFINED = 32767;

/**
 * The CRS of an EPSG code, or why the app cannot use it. Its datum is not yet tied to WGS 84 (no `+towgs84` or grid):
 * {@link placeDatum} picks the transformation for where a raster lies.
 */
export async function crsFromEpsg(requested: number): Promise<CrsResult> {
  const code = WEB_MERCATOR_ALIASES.has(requested) ? 3857 : requested;
  const entry = await lookupEpsg(code);
  if (!entry) {
    return { valid: false, reason: `EPSG:${code} is not a coordinate reference system in the EPSG registry` };
  }
  if (!entry.proj4) {
    return {
      valid: false,
      reason: `EPSG:${code} (${entry.name}) has no proj4 definition, so the app cannot express it`,
    };
  }
  return checkedCrs({
    id: `EPSG:${code}`,
    epsg: code,
    name: entry.name,
    proj4: untiedDatum(entry.proj4),
    wkt: plainWkt(entry.wkt),
  });
}

/**
 * The CRS a GeoTIFF's GeoKeys name: the EPSG code of its projected or geographic CRS, else the user-defined
 * projection parameters. Null when the file has no CRS keys at all (it is not georeferenced).
 */
export async function crsFromGeoKeys(keys: Record<string, unknown>): Promise<CrsResult | null> {
  const model = numberKey(keys, "GTModelTypeGeoKey");
  const projected = numberKey(keys, "ProjectedCSTypeGeoKey");
  const geographic = numberKey(keys, "GeographicTypeGeoKey");
  if (model === 3) {
    return { valid: false, reason: "the file is in a geocentric (Earth-centred X, Y, Z) CRS, not a map projection" };
  }
  if (projected !== null && projected !== USER_DEFINED) return crsFromEpsg(projected);
  const userProjection =
    projected === USER_DEFINED || (model === 1 && numberKey(keys, "ProjCoordTransGeoKey") !== null);
  if (userProjection) return userDefinedCrs(keys, crsFromEpsg).then((r) => (r.valid ? checkedCrs(r.crs) : r));
  if (geographic !== null && geographic !== USER_DEFINED) return crsFromEpsg(geographic);
  if (geographic === USER_DEFINED)
    return userDefinedCrs(keys, crsFromEpsg).then((r) => (r.valid ? checkedCrs(r.crs) : r));
  return null;
}

function numberKey(keys: Record<string, unknown>, name: string): number | null {
  const value = Number(keys[name]);
  return keys[name] !== undefined && Number.isFinite(value) && value > 0 ? value : null;
}

/** A CRS once proj4 has accepted its definition; proj4's units give metres per unit. */
function checkedCrs(crs: Omit<Crs, "metresPerUnit">): CrsResult {
  try {
    converter(crs.proj4);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { valid: false, reason: `${crs.id} (${crs.name}, ${crs.proj4}) cannot be expressed by proj4: ${detail}` };
  }
  return { valid: true, crs: { ...crs, metresPerUnit: metresPerUnit(crs.proj4) } };
}

const UNIT_METRES: Record<string, number> = { m: 1, km: 1000, ft: 0.3048, "us-ft": 1200 / 3937 };

function metresPerUnit(definition: string): number | null {
  const parameter = (name: string) => new RegExp(`\\+${name}=(\\S+)`).exec(definition)?.[1];
  if (/^(longlat|latlong|lonlat|latlon)$/.test(parameter("proj") ?? "")) return null;
  const toMeter = Number(parameter("to_meter"));
  if (Number.isFinite(toMeter) && toMeter > 0) return toMeter;
  return UNIT_METRES[parameter("units") ?? "m"] ?? 1;
}

const converters = new Map<string, proj4.Converter>();

function converter(definition: string): proj4.Converter {
  let found = converters.get(definition);
  if (!found) {
    found = proj4(definition, "EPSG:4326");
    converters.set(definition, found);
  }
  return found;
}

/** CRS coordinates → longitude/latitude (WGS 84); NaN where the projection has no inverse. */
export function crsToLngLat(crs: Pick<Crs, "proj4">, point: Point): LngLat {
  const [lng, lat] = converter(crs.proj4).forward([point[0], point[1]]);
  return [lng, lat];
}

/** Longitude/latitude (WGS 84) → CRS coordinates; NaN outside the projection's domain. */
export function lngLatToCrs(crs: Pick<Crs, "proj4">, lngLat: LngLat): Point {
  const [x, y] = converter(crs.proj4).inverse([lngLat[0], lngLat[1]]);
  return [x, y];
}

/**
 * Whether proj4 can carry a point of this CRS to longitude/latitude and back (a datum grid that is not loaded, or a
 * point outside the projection, gives NaN or a different point).
 */
export function transformsAt(crs: Pick<Crs, "proj4">, point: Point): boolean {
  try {
    const lngLat = crsToLngLat(crs, point);
    const back = lngLatToCrs(crs, lngLat);
    const tolerance = 1e-6 * Math.max(1, Math.abs(point[0]), Math.abs(point[1]));
    return lngLat.every(Number.isFinite) && Math.hypot(back[0] - point[0], back[1] - point[1]) <= tolerance;
  } catch {
    return false;
  }
}
