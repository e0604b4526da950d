/** The EPSG registry served by `tools/vite/epsg-plugin.ts`: per thousand codes, code → [name, proj4, wkt]. */
declare module "virtual:epsg-index" {
  export const buckets: Record<number, () => Promise<{ default: Record<string, [string, string, string]> }>>;
}
