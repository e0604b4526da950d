/** Where the EPSG registry comes from: per thousand codes, a loader of code → [name, proj4, WKT]. */
export type EpsgIndex = {
  buckets: Record<number, () => Promise<{ default: Record<string, [string, string, string]> }>>;
};

// Imported on first use, so that modules importing this one (the georeference maths) load without the registry.
let epsgIndex: () => Promise<EpsgIndex> = () => import("virtual:epsg-index");

/** Node tools, which have no Vite to serve `virtual:epsg-index`, give the registry this way. */
export function registerEpsgIndex(load: () => Promise<EpsgIndex>): void {
  epsgIndex = load;
}

/** The EPSG registry's entry for a code (name, proj4, WKT), or null when the registry has no such CRS. */
export async function lookupEpsg(code: number): Promise<{ name: string; proj4: string; wkt: string } | null> {
  const { buckets } = await epsgIndex();
  const load = buckets[Math.floor(code / 1000)];
  if (!Number.isInteger(code) || !load) return null;
  const entry = (await load()).default[String(code)];
  return entry ? { name: entry[0], proj4: entry[1], wkt: entry[2] } : null;
}
