import proj4 from "proj4";
import { userDefinedCrs } from "./geokeys";
import type { LngLat, Point } from "./mercator";

/**
 * A coordinate reference system the app can transform, as plain data (it crosses into workers and into the history):
 * how the file names it, its proj4 definition and its WKT (for the `.prj` beside an export).
 */
export interface Crs {
  /** `EPSG:32632`, or `user-defined` for a file that gives its projection's parameters instead of a code. */
  id: string;
  epsg: number | null;
  name: string;
  proj4: string;
  wkt: string;
  /** Metres per unit of a projected CRS; null for a geographic one (degrees). */
  metresPerUnit: number | null;
  /** What the user should know about its accuracy, e.g. a datum grid replaced by Helmert parameters. */
  note?: string;
}

/** A CRS, or why a file's CRS cannot be used: the reason names its code or parameters. */
export type CrsResult = { valid: true; crs: Crs } | { valid: false; reason: string };

/** Codes that files use for Web Mercator besides EPSG:3857 (ESRI and the old Google code). */
const WEB_MERCATOR_ALIASES = new Set([900913, 3785, 102100, 102113]);
const USER_DEFINED = 32767;

/** The EPSG registry's entry for a code (name, proj4, WKT), or null when the registry has no such CRS. */
export async function lookupEpsg(code: number): Promise<{ name: string; proj4: string; wkt: string } | null> {
  // Imported on first use, so that modules importing this one (the georeference maths) load without the registry.
  const { buckets } = await import("virtual:epsg-index");
  const load = buckets[Math.floor(code / 1000)];
  if (!Number.isInteger(code) || !load) return null;
  const entry = (await load()).default[String(code)];
  return entry ? { name: entry[0], proj4: entry[1], wkt: entry[2] } : null;
}

/** The CRS of an EPSG code, or why the app cannot use it. */
export async function crsFromEpsg(requested: number): Promise<CrsResult> {
  const code = WEB_MERCATOR_ALIASES.has(requested) ? 3857 : requested;
  const entry = await lookupEpsg(code).catch(() => undefined);
  if (entry === undefined) {
    // The table's chunk did not load: offline, a code this browser has not used before (they are kept as used).
    return {
      valid: false,
      reason: `the definition of EPSG:${code} could not be loaded: this browser has not stored it yet and it needs the network once; connect and open the file again`,
    };
  }
  if (!entry) {
    return { valid: false, reason: `EPSG:${code} is not a coordinate reference system in the EPSG registry` };
  }
  if (!entry.proj4) {
    return {
      valid: false,
      reason: `EPSG:${code} (${entry.name}) has no proj4 definition, so the app cannot express it`,
    };
  }
  return checkedCrs({ id: `EPSG:${code}`, epsg: code, name: entry.name, proj4: entry.proj4, wkt: entry.wkt });
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

/**
 * Datum grids the EPSG definitions of common national grids need, which proj4 in the browser does not carry (each is
 * megabytes), and the EPSG registry's Helmert transformation to WGS 84 that replaces them: parameters, accuracy, code.
 */
const GRID_FALLBACKS = new Map<string, [string, number, number]>([
  ["OSTN15_NTv2_OSGBtoETRS.gsb", ["446.448,-125.157,542.06,0.15,0.247,0.842,-20.489", 2, 1314]],
  ["BETA2007.gsb", ["598.1,73.7,418.2,0.202,0.045,-2.455,6.7", 3, 1777]],
  ["nzgd2kgrid0005.gsb", ["59.47,-5.04,187.44,0.47,-0.1,1.024,-4.5993", 4, 1564]],
]);

/** A CRS once proj4 has accepted its definition; proj4's units give metres per unit. */
function checkedCrs(definition: Omit<Crs, "metresPerUnit">): CrsResult {
  let crs = definition;
  let grid = /\+nadgrids=([^@\s]\S*)/.exec(crs.proj4)?.[1];
  const fallback = grid ? GRID_FALLBACKS.get(grid) : undefined;
  if (grid && fallback) {
    const [towgs84, metres, transformation] = fallback;
    crs = {
      ...crs,
      proj4: crs.proj4.replace(`+nadgrids=${grid}`, `+towgs84=${towgs84}`),
      note: `datum shift by EPSG:${transformation} (Helmert, about ${metres} m) instead of the ${grid} grid`,
    };
    grid = undefined;
  }
  if (grid) {
    return {
      valid: false,
      reason: `${crs.id} (${crs.name}) needs the datum grid ${grid}, which proj4 in the browser does not carry, so the app cannot express it`,
    };
  }
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
