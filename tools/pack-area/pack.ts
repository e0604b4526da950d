/**
 * Packs an area of an XYZ tile source into a PMTiles archive for offline use: the tiles covering a bbox over a zoom
 * range, fetched with bounded concurrency, written with the project's PMTiles writer.
 */
import { TileType } from "pmtiles";
import { type BBox, bboxToPixelWindow, type TileId, tilesCoveringWindow } from "../../src/geo/tiles";
import { ONLINE_SOURCES } from "../../src/imagery/sources";
import { forEachConcurrently } from "../../src/imagery/stitch";
import { expandUrlTemplate, validateUrlTemplate } from "../../src/imagery/url-template";
import { PmtilesWriter } from "../pmtiles/writer";

/** A validated packing request. */
export interface PackRequest {
  bbox: BBox;
  minZoom: number;
  maxZoom: number;
  template: string;
  attribution: string;
  maxTiles: number;
}

/** The command line, validated into a request, or the reason it cannot run. */
export function parsePackArgs(
  args: Record<string, string | undefined>,
): { valid: true; request: PackRequest } | { valid: false; reason: string } {
  const bboxParts = (args.bbox ?? "").split(",").map(Number);
  if (bboxParts.length !== 4 || bboxParts.some((v) => !Number.isFinite(v))) {
    return {
      valid: false,
      reason: `--bbox "${args.bbox ?? ""}" is not W,S,E,N in degrees, e.g. --bbox 13.37,52.51,13.39,52.52.`,
    };
  }
  const [west, south, east, north] = bboxParts;
  if (south >= north || south < -85.06 || north > 85.06 || Math.abs(west) > 180 || Math.abs(east) > 180) {
    return {
      valid: false,
      reason: `--bbox ${args.bbox}: south must be below north, latitudes within ±85.05, longitudes within ±180.`,
    };
  }
  const zooms = /^(\d+)-(\d+)$/.exec(args.zooms ?? "");
  const minZoom = Number(zooms?.[1]);
  const maxZoom = Number(zooms?.[2]);
  if (!zooms || minZoom > maxZoom || maxZoom > 22) {
    return { valid: false, reason: `--zooms "${args.zooms ?? ""}" is not a range like 12-17 (0 to 22, low to high).` };
  }
  const named = ONLINE_SOURCES.find((s) => s.id.startsWith(args.source ?? "\u0000"));
  const template = named?.kind === "xyz" ? named.urlTemplate : (args.source ?? "");
  const checked = validateUrlTemplate(template);
  if (!checked.valid) {
    return { valid: false, reason: `--source: ${checked.reason} Named sources: esri, eox.` };
  }
  const maxTiles = Number(args["max-tiles"] ?? 5000);
  const attribution =
    named?.attribution ?? `Tiles from ${new URL(checked.template.replace(/\{(-?[a-z]+)\}/g, "0")).host}`;
  return {
    valid: true,
    request: {
      bbox: { west, south, east, north },
      minZoom,
      maxZoom,
      template: checked.template,
      attribution,
      maxTiles,
    },
  };
}

/** Every tile of the area, lowest zoom first. */
export function tilesToPack(request: PackRequest): TileId[] {
  const tiles: TileId[] = [];
  for (let z = request.minZoom; z <= request.maxZoom; z++) {
    for (const { tile } of tilesCoveringWindow(bboxToPixelWindow(request.bbox, z), z)) tiles.push(tile);
  }
  return tiles;
}

function tileTypeOf(bytes: Uint8Array): TileType.Png | TileType.Jpeg | TileType.Webp | null {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return TileType.Png;
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return TileType.Jpeg;
  if (bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return TileType.Webp;
  return null;
}

/** Fetches the area's tiles and returns the archive's bytes. Tiles the server lacks (404) are skipped and counted. */
export async function packArea(
  request: PackRequest,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
  fetchFn: typeof fetch = fetch,
): Promise<{ archive: Uint8Array; tiles: number; missing: number }> {
  const tiles = tilesToPack(request);
  if (tiles.length > request.maxTiles) {
    throw new RangeError(
      `The area needs ${tiles.length} tiles, over the cap of ${request.maxTiles}. Lower the maximum zoom or the bbox, or raise --max-tiles.`,
    );
  }
  const writer = new PmtilesWriter();
  let tileType: TileType.Png | TileType.Jpeg | TileType.Webp | null = null;
  let done = 0;
  let missing = 0;
  await forEachConcurrently(tiles, 6, async ({ z, x, y }) => {
    const url = expandUrlTemplate(request.template, z, x, y);
    const response = await fetchFn(url, { signal });
    if (response.status === 404 || response.status === 204) {
      missing++;
    } else if (!response.ok) {
      throw new Error(
        `${url}: HTTP ${response.status} ${response.statusText}. Check the source URL and that it allows this use.`,
      );
    } else {
      const bytes = new Uint8Array(await response.arrayBuffer());
      const type = tileTypeOf(bytes);
      if (type === null || (tileType !== null && type !== tileType)) {
        throw new Error(
          `${url}: not a PNG, JPEG or WebP tile of the same type as the others; PMTiles holds one tile type.`,
        );
      }
      tileType = type;
      writer.addTile(z, x, y, bytes);
    }
    onProgress(++done, tiles.length);
  });
  if (tileType === null)
    throw new Error(`No tile of the area exists at ${request.template}; check the bbox and zooms.`);
  const { bbox } = request;
  const archive = writer.finish({
    tileType,
    bounds: bbox,
    center: { lng: (bbox.west + bbox.east) / 2, lat: (bbox.south + bbox.north) / 2, zoom: request.maxZoom },
    metadata: { name: "Packed area", attribution: request.attribution, source: request.template, type: "baselayer" },
  });
  return { archive, tiles: tiles.length - missing, missing };
}
