/** One EPSG Helmert transformation from a geographic CRS to WGS 84, as proj4 applies it. */
export interface HelmertShift {
  /** Its EPSG code. */
  code: number;
  /** e.g. "Beijing 1954 to WGS 84 (4)". */
  name: string;
  /** proj4's `+towgs84` (position-vector rotations in arc-seconds, scale in ppm). */
  towgs84: string;
  /** Metres, as EPSG gives it; null when unknown. */
  accuracy: number | null;
  /** The name of its area of use. */
  area: string;
  /** Its area of use as `[west, south, east, north]` in degrees; west > east when it crosses the antimeridian. */
  bbox: [number, number, number, number];
}

/** `src/geo/datum-shifts.json`, written by `tools/datum-shifts/cli.ts` from PROJ's copy of the EPSG registry. */
export interface DatumShiftTable {
  /** The registry's version. */
  source: string;
  /** By the EPSG code of the geographic CRS they start from (only those with any). */
  datums: Record<string, { name: string; shifts: HelmertShift[] }>;
}
