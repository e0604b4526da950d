import proj4 from "proj4";
import type { Crs, CrsResult } from "./crs-types";
import { baseGeographicCode } from "./crs-wkt";
import type { DatumShiftTable, HelmertShift } from "./datum-shift-table";
import { type DatumTie, datumTie, ellipsoidOf, hasGeocentricEllipsoid, withTowgs84 } from "./datum-tie";
import { lookupEpsg } from "./epsg-registry";
import { bboxCentre, bboxContains } from "./extent";
import type { LngLat } from "./mercator";
import type { BBox } from "./tiles";

let table: Promise<DatumShiftTable> | undefined;

/** The EPSG registry's Helmert transformations to WGS 84, loaded on first use (about 120 kB). */
function shiftTable(): Promise<DatumShiftTable> {
  table ??= import("./datum-shifts.json").then((module) => module.default as unknown as DatumShiftTable);
  return table;
}

/**
 * Ties a CRS's datum to WGS 84 for a raster lying in `extent`, as PROJ does: the most accurate of the EPSG
 * registry's Helmert transformations whose area of use holds the raster. Where none does, the raster is placed
 * without a datum shift (PROJ's "ballpark") and the note says how far off that may be; a CRS that needs a datum grid
 * is refused then. A user-defined CRS keeps the shift its file gives (`GeogTOWGS84GeoKey`).
 */
export async function placeDatum(crs: Crs, extent: BBox): Promise<CrsResult> {
  const base = baseGeographicCode(crs.wkt);
  const registry = await lookupEpsg(crs.epsg ?? base ?? Number.NaN);
  if (!registry) return { valid: true, crs: fileDefined(crs) };
  const tie = datumTie(registry.proj4);
  if (tie.kind === "fixed") return { valid: true, crs };
  const datum = base === null ? undefined : (await shiftTable()).datums[String(base)];
  const name = datum?.name ?? /GEOGCS\["([^"]+)"/.exec(crs.wkt)?.[1] ?? crs.name;
  const candidates = datum?.shifts ?? [];
  const chosen = mostAccurate(candidates.filter((shift) => bboxContains(areaOf(shift), extent)));
  if (chosen) return { valid: true, crs: shifted(crs, chosen, tie) };
  if (tie.kind === "grid") {
    return {
      valid: false,
      reason:
        `${crs.id} (${crs.name}) needs the datum grid ${tie.grid}, which proj4 in the browser does not carry, and no ` +
        `EPSG Helmert transformation from ${name} to WGS 84 covers this raster, so the app cannot place it`,
    };
  }
  return { valid: true, crs: { ...crs, note: unshiftedNote(crs, name, candidates, extent) } };
}

/** A user-defined CRS without an EPSG base: its own shift, or a note when its ellipsoid alone cannot place it. */
function fileDefined(crs: Crs): Crs {
  if (datumTie(crs.proj4).kind !== "none" || hasGeocentricEllipsoid(crs.proj4)) return crs;
  return {
    ...crs,
    note:
      "the file gives an ellipsoid but no datum shift to WGS 84 (GeogTOWGS84GeoKey), so it is placed without one and " +
      "may be off by up to a few hundred metres; give the file its datum's EPSG code (e.g. `gdal_edit.py -a_srs EPSG:…`)",
  };
}

function shifted(crs: Crs, chosen: HelmertShift, tie: DatumTie): Crs {
  const proj4 = withTowgs84(crs.proj4, chosen.towgs84);
  if (tie.kind !== "grid") return { ...crs, proj4 };
  const accuracy = chosen.accuracy === null ? "" : `, about ${chosen.accuracy} m`;
  return {
    ...crs,
    proj4,
    note: `datum shift by EPSG:${chosen.code} (Helmert${accuracy}) instead of the ${tie.grid} grid`,
  };
}

/** The note of a raster placed without a datum shift: how far the registry's shifts for other areas move it. */
function unshiftedNote(crs: Crs, name: string, candidates: HelmertShift[], extent: BBox): string | undefined {
  if (hasGeocentricEllipsoid(crs.proj4)) return undefined;
  if (candidates.length === 0) {
    return `EPSG gives no transformation from ${name} to WGS 84, so it is placed without a datum shift and may be off by up to a few hundred metres`;
  }
  const centre = bboxCentre(extent);
  const metres = candidates.map((shift) => shiftMetres(crs.proj4, shift.towgs84, centre));
  const [low, high] = [Math.min(...metres), Math.max(...metres)].map(roundMetres);
  const size = low === high ? `about ${low} m` : `${low}–${high} m`;
  const areas = [...new Set(candidates.map((shift) => shift.area))];
  return (
    `no EPSG transformation from ${name} to WGS 84 covers this raster (their areas: ${shortList(areas)}), so it is ` +
    `placed without a datum shift and may be off by ${size} (what those transformations shift here)`
  );
}

/** The one PROJ prefers among transformations that all hold the raster: the most accurate, then by name as PROJ. */
function mostAccurate(shifts: HelmertShift[]): HelmertShift | undefined {
  const byPreference = (a: HelmertShift, b: HelmertShift) =>
    (a.accuracy ?? Infinity) - (b.accuracy ?? Infinity) ||
    a.name.length - b.name.length ||
    (a.name > b.name ? -1 : a.name < b.name ? 1 : 0);
  return [...shifts].sort(byPreference)[0];
}

function areaOf(shift: HelmertShift): BBox {
  const [west, south, east, north] = shift.bbox;
  return { west, south, east, north };
}

/** Metres a Helmert shift moves a point of the CRS's ellipsoid. */
function shiftMetres(definition: string, towgs84: string, [lng, lat]: LngLat): number {
  const from = `+proj=longlat ${ellipsoidOf(definition)} +towgs84=${towgs84} +no_defs`;
  const [toLng, toLat] = proj4(from, "EPSG:4326").forward([lng, lat]);
  const radians = Math.PI / 180;
  const east = (toLng - lng) * radians * 6378137 * Math.cos(lat * radians);
  const north = (toLat - lat) * radians * 6378137;
  return Math.hypot(east, north);
}

function roundMetres(metres: number): number {
  return metres < 10 ? Math.round(metres) : Math.round(metres / 5) * 5;
}

function shortList(items: string[]): string {
  return items.length <= 3 ? items.join("; ") : `${items.slice(0, 3).join("; ")} and ${items.length - 3} more`;
}
