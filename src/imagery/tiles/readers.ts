import { PMTiles, TileType } from "pmtiles";
import { PmtilesByteSource } from "../../io/pmtiles-source";
import { type FetchProblem, FetchSource, FetchSourceError, fetchOrProblem } from "../../io/source";
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
      response = await fetchOrProblem(url, { signal }, this.fetchFn);
    } catch (error) {
      if (!(error instanceof FetchSourceError)) throw error;
      const { problem } = error;
      if (problem.kind === "http-status" && problem.status === 404) return null;
      throw new CropError(this.spec.name, { z, x, y }, tileProblemText(url, problem), problem);
    }
    if (response.status === 204) return null;
    return response.blob();
  }
}

/** Why a tile could not be read, and what to do. */
function tileProblemText(url: string, problem: FetchProblem): string {
  switch (problem.kind) {
    case "no-cors":
      return (
        `the tile server does not allow cross-origin reads (no CORS header) for ${url}. ` +
        "Use a CORS-enabled source, the offline archive, or pack the area into a PMTiles file with `npm run pack-area`."
      );
    case "unreachable":
      return `${url} cannot be reached; check the template's host and the network.`;
    case "http-status":
      return `the server answered HTTP ${problem.status} for ${url}; check the template and that the server serves tiles to this page.`;
    default:
      return new FetchSourceError(url, problem).message;
  }
}

const pmtilesMime: Partial<Record<TileType, string>> = {
  [TileType.Png]: "image/png",
  [TileType.Jpeg]: "image/jpeg",
  [TileType.Webp]: "image/webp",
  [TileType.Avif]: "image/avif",
};

/** A PMTiles archive at a URL (relative to the page), read by range through the project's `FetchSource`. */
export function pmtilesArchive(url: string): PMTiles {
  return new PMTiles(new PmtilesByteSource(new FetchSource(new URL(url, globalThis.location?.href).href)));
}

/** Reads raster tiles from a PMTiles archive by range: over HTTP, or from the archive given (a file in Node). */
export class PmtilesTileReader implements TileReader {
  private readonly archive: PMTiles;
  constructor(
    private readonly spec: Extract<TileSourceSpec, { kind: "pmtiles" }>,
    archive?: PMTiles,
  ) {
    this.archive = archive ?? pmtilesArchive(spec.url);
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
