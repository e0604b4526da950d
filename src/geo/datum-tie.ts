/** How a proj4 definition ties its datum to WGS 84. */
export type DatumTie =
  /** WGS 84 itself, NAD83 (tied by definition), or a sphere with `+nadgrids=@null` (Web Mercator). */
  | { kind: "fixed" }
  /** A Helmert transformation, `+towgs84`. */
  | { kind: "helmert"; towgs84: string }
  /** A datum grid, which proj4 in the browser does not carry. */
  | { kind: "grid"; grid: string }
  /** An ellipsoid alone (NAD27's optional grids count as none). */
  | { kind: "none" };

const FIXED_DATUMS = /\+datum=(WGS84|NAD83)\b/;
const TOWGS84 = /\s*\+towgs84=(\S+)/;
const GRID = /\s*\+nadgrids=("[^"]*"|\S+)/;
/** proj4's named datums in the EPSG table other than the fixed ones, and their ellipsoids. */
const NAMED_DATUMS: Record<string, string> = { NAD27: "clrk66" };
const NAMED_DATUM = /\+datum=(\S+)/;

/** The tie of a proj4 definition. */
export function datumTie(definition: string): DatumTie {
  if (FIXED_DATUMS.test(definition) || /\+nadgrids=@null\b/.test(definition)) return { kind: "fixed" };
  const towgs84 = TOWGS84.exec(definition)?.[1];
  if (towgs84) return { kind: "helmert", towgs84 };
  const grid = GRID.exec(definition)?.[1];
  if (grid && !grid.startsWith("@")) return { kind: "grid", grid: grid.replace(/^"|"$/g, "") };
  return { kind: "none" };
}

/**
 * The definition with its datum tie taken out, the ellipsoid kept: `+towgs84` and `+nadgrids` removed, a named datum
 * (NAD27) replaced by its ellipsoid. Fixed datums stay as they are.
 */
export function untiedDatum(definition: string): string {
  if (datumTie(definition).kind === "fixed") return definition;
  const named = NAMED_DATUM.exec(definition)?.[1];
  const ellipsoid = named && NAMED_DATUMS[named] ? `+ellps=${NAMED_DATUMS[named]}` : null;
  const untied = definition.replace(TOWGS84, "").replace(GRID, "");
  return ellipsoid && named ? untied.replace(`+datum=${named}`, ellipsoid) : untied;
}

/** An untied definition tied by a Helmert transformation. */
export function withTowgs84(definition: string, towgs84: string): string {
  return `${untiedDatum(definition)} +towgs84=${towgs84}`;
}

/** The ellipsoid parameters of a definition (`+ellps=…`, or `+a=…` with `+b`, `+rf` or `+f`). */
export function ellipsoidOf(definition: string): string {
  return definition
    .split(/\s+/)
    .filter((p) => /^\+(ellps|a|b|rf|f|R)=/.test(p))
    .join(" ");
}

/** Whether the ellipsoid is WGS 84's or GRS 80 (a geocentric datum: no shift to speak of without a transformation). */
export function hasGeocentricEllipsoid(definition: string): boolean {
  const parameter = (name: string) => new RegExp(`\\+${name}=(\\S+)`).exec(definition)?.[1];
  const ellps = parameter("ellps");
  if (ellps) return ellps === "WGS84" || ellps === "GRS80";
  const rf = Number(parameter("rf"));
  return Math.abs(Number(parameter("a")) - 6378137) < 0.5 && Math.abs(rf - 298.257) < 0.001;
}
