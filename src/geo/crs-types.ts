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
