import { PMTiles, TileType } from "pmtiles";
import { CropError } from "../crop-error";
import type { TileReader, TileSourceSpec } from "../types";
import { expandUrlTemplate } from "../url-template";
import { GeoTiffTileReader } from "./geotiff-reader";

type ReaderFactory<K extends TileSourceSpec["kind"]> = (spec: Extract<TileSourceSpec, { kind: K }>) => TileReader;

const factories = new Map<TileSourceSpec["kind"], ReaderFactory<TileSourceSpec["kind"]>>();

/** Registers how tiles of one source kind are read (the GeoTIFF reader registers itself from its module). */
export function registerTileReader<K extends TileSourceSpec["kind"]>(kind: K, factory: ReaderFactory<K>): void {
  factories.set(kind, factory as unknown as ReaderFactory<TileSourceSpec["kind"]>);
}

/** A tile reader for a source, from the registered factory for its kind. */
export function createTileReader(spec: TileSourceSpec): TileReader {
  const factory = factories.get(spec.kind);
  if (!factory) {
    throw new Error(`No tile reader for sources of kind "${spec.kind}". Known: ${[...factories.keys()].join(", ")}.`);
  }
  return factory(spec);
}

/** Reads XYZ/TMS tiles over HTTP with CORS; 404 and 204 mean "no tile". */
export class XyzTileReader implements TileReader {
  constructor(
    private readonly spec: Extract<TileSourceSpec, { kind: "xyz" }>,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  async getTile(z: number, x: number, y: number, signal?: AbortSignal): Promise<Blob | null> {
    const url = expandUrlTemplate(this.spec.urlTemplate, z, x, y);
    let response: Response;
    try {
      response = await this.fetchFn(url, { mode: "cors", credentials: "omit", signal });
    } catch (error) {
      signal?.throwIfAborted();
      throw new CropError(
        this.spec.name,
        { z, x, y },
        `the browser could not read ${url} (${error instanceof Error ? error.message : String(error)}). ` +
          "Either the tile server does not allow cross-origin reads (no CORS header) or it cannot be reached. " +
          "Use a CORS-enabled source, the offline archive, or pack the area into a PMTiles file with `npm run pack-area`.",
      );
    }
    if (response.status === 404 || response.status === 204) return null;
    if (!response.ok) {
      throw new CropError(this.spec.name, { z, x, y }, `HTTP ${response.status} ${response.statusText} for ${url}.`);
    }
    return response.blob();
  }
}

const pmtilesMime: Partial<Record<TileType, string>> = {
  [TileType.Png]: "image/png",
  [TileType.Jpeg]: "image/jpeg",
  [TileType.Webp]: "image/webp",
  [TileType.Avif]: "image/avif",
};

/** Reads raster tiles from a PMTiles archive by HTTP range requests. */
export class PmtilesTileReader implements TileReader {
  private readonly archive: PMTiles;
  constructor(private readonly spec: Extract<TileSourceSpec, { kind: "pmtiles" }>) {
    this.archive = new PMTiles(new URL(spec.url, globalThis.location?.href).href);
  }

  async getTile(z: number, x: number, y: number, signal?: AbortSignal): Promise<Blob | null> {
    const header = await this.archive.getHeader();
    const mime = pmtilesMime[header.tileType];
    if (!mime) {
      throw new CropError(
        this.spec.name,
        { z, x, y },
        `the archive holds tiles of type ${header.tileType}, not raster images.`,
      );
    }
    const tile = await this.archive.getZxy(z, x, y, signal);
    return tile ? new Blob([tile.data], { type: mime }) : null;
  }
}

registerTileReader("xyz", (spec) => new XyzTileReader(spec));
registerTileReader("pmtiles", (spec) => new PmtilesTileReader(spec));
registerTileReader("geotiff", (spec) => new GeoTiffTileReader(spec));
