/** The `[start, end)` of the first `NAME[…]` element in a WKT1 text, brackets matched; null when there is none. */
function element(wkt: string, name: string): [number, number] | null {
  const start = wkt.indexOf(`${name}[`);
  if (start < 0) return null;
  let depth = 0;
  let quoted = false;
  for (let i = start + name.length; i < wkt.length; i++) {
    const c = wkt[i];
    if (c === '"') quoted = !quoted;
    if (quoted) continue;
    if (c === "[") depth++;
    if (c === "]" && --depth === 0) return [start, i + 1];
  }
  return null;
}

/** The EPSG code of the geographic CRS a WKT1 CRS is based on (its `GEOGCS`'s own authority), or null. */
export function baseGeographicCode(wkt: string): number | null {
  const geogcs = element(wkt, "GEOGCS");
  if (!geogcs) return null;
  const code = /,AUTHORITY\["EPSG","(\d+)"\]\]$/.exec(wkt.slice(...geogcs))?.[1];
  return code === undefined ? null : Number(code);
}

/**
 * A registry WKT1 without what names a datum transformation rather than the CRS: `TOWGS84[…]` (one Helmert chosen
 * by whoever wrote the table) and PROJ's `EXTENSION["PROJ4_GRIDS",…]` (which GDAL cannot identify). GDAL reads the
 * rest as the EPSG CRS and picks the transformation for where the data lies.
 */
export function plainWkt(wkt: string): string {
  return wkt.replace(/,TOWGS84\[[^\]]*\]/g, "").replace(/,EXTENSION\["PROJ4_GRIDS","[^"]*"\]/g, "");
}
