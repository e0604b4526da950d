/**
 * Node only: what the app's crop code needs to run outside the browser. Pixels are drawn and encoded with sharp
 * (the browser's OffscreenCanvas), PMTiles archives and GeoTIFFs on disk are read by range through the project's
 * `ByteSource`, and the EPSG registry is read from the epsg-index package (the browser's build serves it). The crop
 * itself is src/imagery's: the same planning, stitching, raster windows and georeferencing.
 */
import { openAsBlob } from "node:fs";
import { basename } from "node:path";
import { PMTiles } from "pmtiles";
import sharp from "sharp";
import { registerEpsgIndex } from "../../src/geo/epsg-registry";
import { openRaster } from "../../src/imagery/raster/open-raster";
import { type CropSurface, registerCropSurface } from "../../src/imagery/surface";
import { PmtilesTileReader, registerPmtilesReader } from "../../src/imagery/tiles/readers";
import type { TileSourceSpec } from "../../src/imagery/types";
import { validateUrlTemplate } from "../../src/imagery/url-template";
import { PmtilesByteSource } from "../../src/io/pmtiles-source";
import { FetchSource } from "../../src/io/source";
import type { SweepSource } from "../../src/sweep/plan";
import { FileSource } from "../io/file-source";
import { readBuckets } from "../vite/epsg-plugin";

/** A crop surface over a raw RGBA buffer: tiles decoded by sharp, PNG encoded by sharp. */
function sharpSurface(width: number, height: number): CropSurface {
  const rgba = new Uint8ClampedArray(width * height * 4);
  return {
    width,
    height,
    async drawTile(tile, dx, dy, size) {
      const { data, info } = await sharp(Buffer.from(await tile.arrayBuffer()))
        .ensureAlpha()
        .resize(size, size, { fit: "fill" })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const x0 = Math.max(0, dx);
      const x1 = Math.min(width, dx + info.width);
      if (x1 <= x0) return;
      for (let row = Math.max(0, -dy); row < info.height && dy + row < height; row++) {
        const from = (row * info.width + (x0 - dx)) * 4;
        rgba.set(data.subarray(from, from + (x1 - x0) * 4), ((dy + row) * width + x0) * 4);
      }
    },
    putRgba(pixels) {
      rgba.set(pixels);
    },
    async encodePng() {
      const png = await sharp(Buffer.from(rgba.buffer), { raw: { width, height, channels: 4 } })
        .png()
        .toBuffer();
      return new Blob([png], { type: "image/png" });
    },
  };
}

const isUrl = (text: string) => /^https?:\/\//.test(text);

/** Makes the app's crop code run in this process: sharp surfaces, PMTiles files by range, the EPSG registry. */
export function setUpNodeImagery(): void {
  registerCropSurface(sharpSurface);
  registerPmtilesReader((spec) => {
    const bytes = isUrl(spec.url) ? new FetchSource(spec.url) : new FileSource(spec.url);
    return new PmtilesTileReader(spec, new PMTiles(new PmtilesByteSource(bytes)));
  });
  let buckets: ReturnType<typeof readBuckets> | null = null;
  registerEpsgIndex(async () => {
    buckets ??= readBuckets();
    const table = buckets;
    return {
      buckets: Object.fromEntries([...table.keys()].map((b) => [b, async () => ({ default: table.get(b) ?? {} })])),
    };
  });
}

/** A source named on the command line, as the crop code and the planner take it. */
export interface NodeSource {
  spec: TileSourceSpec;
  sweep: SweepSource;
}

/**
 * Opens `--source`: a PMTiles archive (a path or URL ending in .pmtiles), a GeoTIFF/COG (.tif/.tiff, a path or URL)
 * or an XYZ template (`https://…/{z}/{x}/{y}.png`). Refused with what to give instead.
 */
export async function openSource(text: string): Promise<NodeSource> {
  const name = basename(text.split("?")[0]);
  if (/\.pmtiles$/i.test(text.split("?")[0])) {
    const bytes = isUrl(text) ? new FetchSource(text) : new FileSource(text);
    const header = await new PMTiles(new PmtilesByteSource(bytes)).getHeader();
    const extent = { west: header.minLon, south: header.minLat, east: header.maxLon, north: header.maxLat };
    const spec: TileSourceSpec = {
      kind: "pmtiles",
      id: `pmtiles:${name}`,
      name,
      url: text,
      tileSize: 256,
      maxZoom: header.maxZoom,
    };
    return { spec, sweep: { kind: "tiles", tileSize: 256, maxZoom: header.maxZoom, extent } };
  }
  if (/\.tiff?$/i.test(text.split("?")[0])) {
    const location = isUrl(text)
      ? { kind: "url" as const, url: text }
      : { kind: "file" as const, file: await openAsBlob(text) };
    const bytes = location.kind === "url" ? new FetchSource(location.url) : new FileSource(text);
    const opened = await openRaster(bytes, name);
    if (!opened.valid) throw new Error(opened.reason);
    const { info } = opened;
    const spec: TileSourceSpec = {
      kind: "geotiff",
      id: `geotiff:${name}`,
      name,
      location,
      info,
      tileSize: 256,
      maxZoom: info.maxZoom,
    };
    return { spec, sweep: { kind: "raster", info } };
  }
  const checked = validateUrlTemplate(text);
  if (!checked.valid) {
    throw new Error(
      `--source "${text}" is no PMTiles archive (.pmtiles), GeoTIFF (.tif) or tile template: ${checked.reason}`,
    );
  }
  const host = new URL(checked.template.replace(/\{(-?[a-z]+)\}/g, "0")).host;
  const spec: TileSourceSpec = {
    kind: "xyz",
    id: `xyz:${checked.template}`,
    name: host,
    urlTemplate: checked.template,
    tileSize: 256,
    maxZoom: 22,
  };
  return { spec, sweep: { kind: "tiles", tileSize: 256, maxZoom: 22 } };
}
