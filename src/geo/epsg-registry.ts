/** The EPSG registry's entry for a code (name, proj4, WKT), or null when the registry has no such CRS. */
export async function lookupEpsg(code: number): Promise<{ name: string; proj4: string; wkt: string } | null> {
  // Imported on first use, so that modules importing this one (the georeference maths) load without the registry.
  const { buckets } = await import("virtual:epsg-index");
  const load = buckets[Math.floor(code / 1000)];
  if (!Number.isInteger(code) || !load) return null;
  const entry = (await load()).default[String(code)];
  return entry ? { name: entry[0], proj4: entry[1], wkt: entry[2] } : null;
}
