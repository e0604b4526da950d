/**
 * The EPSG registry as lazily loaded modules: `virtual:epsg-index` exports one loader per thousand codes
 * (`buckets[Math.floor(code / 1000)]`), each a chunk mapping a code to `[name, proj4, wkt]`, read at build time from
 * the `epsg-index` package. The app loads only the chunk of a file's code (tens to hundreds of kB) when it opens a
 * GeoTIFF, and nothing from the network.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Plugin } from "vite";

const INDEX = "virtual:epsg-index";
const BUCKET = "virtual:epsg-bucket/";
/** Coordinate reference systems a raster can be in: projected and 2-D geographic. */
const RASTER_KINDS = new Set(["CRS-PROJCRS", "CRS-GEOGCRS"]);

/** One CRS of the `epsg-index` package. */
export interface EpsgEntry {
  code: string;
  kind: string;
  name: string;
  proj4: string | null;
  wkt: string | null;
}

/** The registry's CRSs a raster can be in, from the `epsg-index` package. */
export function rasterCrsEntries(): EpsgEntry[] {
  const path = createRequire(import.meta.url).resolve("epsg-index/all.json");
  const all = JSON.parse(readFileSync(path, "utf8")) as Record<string, EpsgEntry>;
  return Object.values(all).filter((entry) => RASTER_KINDS.has(entry.kind));
}

function readBuckets(): Map<number, Record<string, [string, string, string]>> {
  const buckets = new Map<number, Record<string, [string, string, string]>>();
  for (const entry of rasterCrsEntries()) {
    const bucket = Math.floor(Number(entry.code) / 1000);
    const codes = buckets.get(bucket) ?? {};
    codes[entry.code] = [entry.name, entry.proj4 ?? "", entry.wkt ?? ""];
    buckets.set(bucket, codes);
  }
  return buckets;
}

/** Serves `virtual:epsg-index` and its per-thousand chunks. */
export function epsgPlugin(): Plugin {
  let buckets: ReturnType<typeof readBuckets> | undefined;
  const table = () => {
    buckets ??= readBuckets();
    return buckets;
  };
  return {
    name: "geozero-epsg-index",
    resolveId(id) {
      return id === INDEX || id.startsWith(BUCKET) ? `\0${id}` : undefined;
    },
    load(id) {
      if (id === `\0${INDEX}`) {
        const loaders = [...table().keys()].map((b) => `  ${b}: () => import("${BUCKET}${b}"),`);
        return `export const buckets = {\n${loaders.join("\n")}\n};\n`;
      }
      if (id.startsWith(`\0${BUCKET}`)) {
        const bucket = Number(id.slice(BUCKET.length + 1));
        return `export default ${JSON.stringify(table().get(bucket) ?? {})};\n`;
      }
      return undefined;
    },
  };
}
