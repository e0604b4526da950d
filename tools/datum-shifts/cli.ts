/**
 * `npx tsx tools/datum-shifts/cli.ts [proj.db]`: writes `src/geo/datum-shifts.json`, the EPSG registry's Helmert
 * transformations to WGS 84 with their areas of use, for the geographic CRSs that the app's EPSG table
 * (`epsg-index`) bases rasters on without a fixed datum (`+towgs84`, a datum grid, NAD27, or an ellipsoid alone).
 * The app picks among them by where a raster lies (`src/geo/datum-shift.ts`), as PROJ does. Reads PROJ's `proj.db`
 * with the `sqlite3` command (Debian: `apt-get install proj-data sqlite3`); the app and its tests need only the JSON
 * this writes.
 */

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { baseGeographicCode } from "../../src/geo/crs-wkt";
import type { DatumShiftTable, HelmertShift } from "../../src/geo/datum-shift-table";
import { rasterCrsEntries } from "../vite/epsg-plugin";

const OUTPUT = "src/geo/datum-shifts.json";
/** EPSG methods proj4's `+towgs84` expresses: geocentric translations, position vector, coordinate frame. */
const METHODS = new Map([
  ["9603", "translations"],
  ["9606", "position-vector"],
  ["9607", "coordinate-frame"],
]);
const ARCSEC_PER_RADIAN = (180 / Math.PI) * 3600;

/** The geographic CRSs (code → name) that rasters in the app's EPSG table are based on without a fixed datum. */
function geographicCrsNeedingShifts(): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of rasterCrsEntries()) {
    if (!entry.proj4 || !entry.wkt || /\+datum=(WGS84|NAD83)\b/.test(entry.proj4)) continue;
    const base = entry.kind === "CRS-GEOGCRS" ? Number(entry.code) : baseGeographicCode(entry.wkt);
    const name = /GEOGCS\["([^"]+)"/.exec(entry.wkt)?.[1];
    if (base !== null && name) found.set(String(base), name);
  }
  return found;
}

interface Row {
  code: string;
  name: string;
  method_code: string;
  accuracy: number | null;
  tx: number;
  ty: number;
  tz: number;
  translation: number;
  rx: number | null;
  ry: number | null;
  rz: number | null;
  rotation: number | null;
  scale_difference: number | null;
  scale: number | null;
  area: string;
  south_lat: number;
  west_lon: number;
  north_lat: number;
  east_lon: number;
}

const QUERY = `
  SELECT h.code, h.name, h.method_code, h.accuracy,
    h.tx, h.ty, h.tz, tu.conv_factor AS translation,
    h.rx, h.ry, h.rz, ru.conv_factor AS rotation,
    h.scale_difference, su.conv_factor AS scale,
    e.name AS area, e.south_lat, e.west_lon, e.north_lat, e.east_lon
  FROM helmert_transformation h
  JOIN usage u ON u.object_table_name = 'helmert_transformation' AND u.object_auth_name = h.auth_name
    AND u.object_code = h.code
  JOIN extent e ON e.auth_name = u.extent_auth_name AND e.code = u.extent_code
  JOIN unit_of_measure tu ON tu.auth_name = h.translation_uom_auth_name AND tu.code = h.translation_uom_code
  LEFT JOIN unit_of_measure ru ON ru.auth_name = h.rotation_uom_auth_name AND ru.code = h.rotation_uom_code
  LEFT JOIN unit_of_measure su ON su.auth_name = h.scale_difference_uom_auth_name
    AND su.code = h.scale_difference_uom_code
  WHERE h.auth_name = 'EPSG' AND h.deprecated = 0 AND h.source_crs_auth_name = 'EPSG' AND h.source_crs_code = '$CODE' 
    AND h.target_crs_auth_name = 'EPSG' AND h.target_crs_code = '4326'
  ORDER BY h.code`;

/** A row as proj4's `+towgs84`: metres, arc-seconds (position-vector signs) and parts per million. */
function helmert(row: Row): HelmertShift | null {
  const method = METHODS.get(String(row.method_code));
  if (!method) return null;
  const sign = method === "coordinate-frame" ? -1 : 1;
  const metres = [row.tx, row.ty, row.tz].map((v) => v * row.translation);
  const seconds = [row.rx, row.ry, row.rz].map((v) => sign * (v ?? 0) * (row.rotation ?? 0) * ARCSEC_PER_RADIAN);
  const ppm = (row.scale_difference ?? 0) * (row.scale ?? 0) * 1e6;
  const parameters = method === "translations" ? metres : [...metres, ...seconds, ppm];
  return {
    code: Number(row.code),
    name: row.name,
    towgs84: parameters.map((v) => Number(v.toPrecision(12))).join(","),
    accuracy: row.accuracy,
    area: row.area,
    bbox: [row.west_lon, row.south_lat, row.east_lon, row.north_lat],
  };
}

/** The rows of a query, by the `sqlite3` command. */
function rows<T>(db: string, sql: string): T[] {
  const out = execFileSync("sqlite3", ["-readonly", "-json", db, sql], { encoding: "utf8", maxBuffer: 64 << 20 });
  return out.trim() === "" ? [] : (JSON.parse(out) as T[]);
}

function main(): void {
  const db = process.argv[2] ?? "/usr/share/proj/proj.db";
  const metadata = Object.fromEntries(
    rows<{ key: string; value: string }>(db, "SELECT key, value FROM metadata").map((r) => [r.key, r.value]),
  );
  const table: DatumShiftTable = {
    source: `EPSG ${metadata["EPSG.VERSION"]} (${metadata["EPSG.DATE"]}) from PROJ ${metadata["PROJ.VERSION"]}'s proj.db`,
    datums: {},
  };
  let shifts = 0;
  for (const [code, name] of [...geographicCrsNeedingShifts()].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const found = rows<Row>(db, QUERY.replace("$CODE", String(Number(code)))).flatMap((row) => helmert(row) ?? []);
    if (found.length === 0) continue;
    table.datums[code] = { name, shifts: found };
    shifts += found.length;
  }
  writeFileSync(OUTPUT, `${JSON.stringify(table)}\n`);
  console.log(`${OUTPUT}: ${shifts} Helmert transformations for ${Object.keys(table.datums).length} datums.`);
}

main();
