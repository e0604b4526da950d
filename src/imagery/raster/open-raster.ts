import { GeoTIFF, type GeoTIFFImage } from "geotiff";
import { crsFromGeoKeys, transformsAt } from "../../geo/crs";
import type { Crs } from "../../geo/crs-types";
import { placeDatum } from "../../geo/datum-shift";
import type { AffineTransform, GeoReference } from "../../geo/georef";
import { groundSampleDistance, pixelRectToBBox, pixelToCrs } from "../../geo/georef";
import { EARTH_RADIUS_M, groundScale } from "../../geo/mercator";
import type { BBox } from "../../geo/tiles";
import { errorMessage, registerErrorType } from "../../io/error-data";
import { type ByteSource, type FetchProblem, FetchSourceError } from "../../io/source";
import { RangeReader } from "./range-reader";

/** One resolution level of a raster: full resolution first, then each overview, finest to coarsest. */
export interface RasterLevel {
  width: number;
  height: number;
}

/** What the page knows of an opened GeoTIFF: plain data that crosses the worker boundary. */
export interface RasterInfo {
  name: string;
  /** File size in bytes. */
  size: number;
  levels: RasterLevel[];
  /** Full resolution: pixel → the raster's CRS. */
  georef: GeoReference & { crs: Crs };
  bbox: BBox;
  /** The finest zoom worth rendering: where a map pixel is about the size of a raster pixel. */
  maxZoom: number;
  /** Bytes read so far. */
  bytesRead: number;
}

/** Why a file cannot be opened, as data; `reason` is the sentence the user sees. */
export type RasterProblem =
  | { kind: "not-tiff"; detail: string }
  | { kind: "truncated"; size: number; needed: number }
  | { kind: "no-georeference" }
  | { kind: "crs"; detail: string }
  | { kind: "pixels"; detail: string }
  | { kind: "fetch"; fetch: FetchProblem };

/** A refused file. */
export interface RasterRefusal {
  valid: false;
  problem: RasterProblem;
  reason: string;
}

/** An opened GeoTIFF: its decoded directories, ready to read windows by range. */
export interface OpenedRaster {
  valid: true;
  info: RasterInfo;
  images: GeoTIFFImage[];
  reader: RangeReader;
}

/** Typed refusal thrown while reading an opened file (a tile past the end, a server that stopped answering). */
export class RasterReadError extends Error {
  override readonly name = "RasterReadError";
  constructor(readonly refusal: RasterRefusal) {
    super(refusal.reason);
  }
}
registerErrorType("RasterReadError", RasterReadError);

/** The refusal for a problem, with the sentence that names the file, the problem and the fix. */
export function refuse(name: string, problem: RasterProblem): RasterRefusal {
  return { valid: false, problem, reason: problemText(name, problem) };
}

function problemText(name: string, problem: RasterProblem): string {
  switch (problem.kind) {
    case "not-tiff":
      return `${name} is not a GeoTIFF (${problem.detail}). Open a .tif/.tiff GeoTIFF or Cloud-Optimized GeoTIFF.`;
    case "truncated":
      return (
        `${name} is truncated: its image data runs to byte ${problem.needed}, but the file has ${problem.size} bytes ` +
        "(an interrupted download or copy?). Download or copy it again."
      );
    case "no-georeference":
      return (
        `${name} is a TIFF without georeferencing (no GeoKeys or no transform); the app cannot tell where it lies. ` +
        "Georeference it first, e.g. with QGIS's Georeferencer or `gdal_translate -a_srs EPSG:… -a_ullr …`."
      );
    case "crs":
      return `${name}: ${problem.detail}. Reproject it first, e.g. \`gdalwarp -t_srs EPSG:3857 ${name} ${name.replace(/\.tiff?$/i, "")}-3857.tif\`.`;
    case "pixels":
      return `${name}: ${problem.detail}. Convert it to 8-bit RGB first, e.g. \`gdal_translate -ot Byte -scale ${name} ${name.replace(/\.tiff?$/i, "")}-rgb.tif\`.`;
    case "fetch":
      return new FetchSourceError(name, problem.fetch).message;
  }
}

/**
 * Opens a GeoTIFF or COG by range reads: the header, the tile index of each level and nothing of the pixels. Refuses,
 * as data, what the app cannot place.
 */
export async function openRaster(
  source: ByteSource,
  name: string,
  signal?: AbortSignal,
): Promise<OpenedRaster | RasterRefusal> {
  try {
    return await openChecked(source, name, signal);
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof RasterReadError) return error.refusal;
    if (error instanceof FetchSourceError) return refuse(name, { kind: "fetch", fetch: error.problem });
    throw error;
  }
}

async function openChecked(
  source: ByteSource,
  name: string,
  signal?: AbortSignal,
): Promise<OpenedRaster | RasterRefusal> {
  const size = await source.size(signal);
  const reader = new RangeReader(source, size);
  const images = await readImages(reader, name, signal);
  if (!("length" in images)) return images;
  const full = images[0];
  const truncatedAt = await dataEnd(images);
  if (truncatedAt > size) return refuse(name, { kind: "truncated", size, needed: truncatedAt });
  const pixels = pixelProblem(full);
  if (pixels) return refuse(name, { kind: "pixels", detail: pixels });
  const keys = full.getGeoKeys() as Record<string, unknown> | null;
  const transform = affineTransform(full);
  const crsResult = keys ? await crsFromGeoKeys(keys) : null;
  if (!crsResult || !transform) return refuse(name, { kind: "no-georeference" });
  if (!crsResult.valid) return refuse(name, { kind: "crs", detail: crsResult.reason });
  const whole: [number, number, number, number] = [0, 0, full.getWidth(), full.getHeight()];
  const untied = { width: full.getWidth(), height: full.getHeight(), transform, crs: crsResult.crs };
  if (!transformsAt(untied.crs, pixelToCrs(untied, [untied.width / 2, untied.height / 2]))) {
    return refuse(name, {
      kind: "crs",
      detail: `${untied.crs.id} (${untied.crs.name}) cannot be transformed by proj4 where this raster lies`,
    });
  }
  const placed = await placeDatum(untied.crs, pixelRectToBBox(untied, whole, 16));
  if (!placed.valid) return refuse(name, { kind: "crs", detail: placed.reason });
  const georef = { ...untied, crs: placed.crs };
  const bbox = pixelRectToBBox(georef, whole, 16);
  const info: RasterInfo = {
    name,
    size,
    levels: images.map((image) => ({ width: image.getWidth(), height: image.getHeight() })),
    georef,
    bbox,
    maxZoom: maxZoomFor(georef, bbox),
    bytesRead: reader.bytesRead,
  };
  return { valid: true, info, images, reader };
}

/** The full-resolution image and its overviews (reduced-resolution subfiles, masks left out), finest first. */
async function readImages(
  reader: RangeReader,
  name: string,
  signal?: AbortSignal,
): Promise<GeoTIFFImage[] | RasterRefusal> {
  try {
    // geotiff.js types its source as its own BaseSource class; RangeReader has the same shape.
    // With `cache`, geotiff.js keeps each decoded tile, so neighbouring map tiles decode it once (bounded in read.ts).
    const tiff = await GeoTIFF.fromSource(
      reader as unknown as Parameters<typeof GeoTIFF.fromSource>[0],
      { cache: true },
      signal,
    );
    const count = await tiff.getImageCount();
    const images = await Promise.all(Array.from({ length: count }, (_, i) => tiff.getImage(i)));
    const full = images[0];
    const overviews = images
      .slice(1)
      .filter((image) => {
        const subfile = Number(image.fileDirectory.getValue("NewSubfileType") ?? 0);
        return (subfile & 1) === 1 && (subfile & 4) === 0 && image.getWidth() < full.getWidth();
      })
      .sort((a, b) => b.getWidth() - a.getWidth());
    return [full, ...overviews];
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof FetchSourceError) throw error;
    if (reader.wantedPastEnd > reader.fileSize && (await hasTiffSignature(reader))) {
      return refuse(name, { kind: "truncated", size: reader.fileSize, needed: reader.wantedPastEnd });
    }
    return refuse(name, { kind: "not-tiff", detail: errorMessage(error) });
  }
}

/** Whether the file starts as a TIFF or BigTIFF does (`II*\0`, `MM\0*`, `II+\0`, `MM\0+`). */
async function hasTiffSignature(reader: RangeReader): Promise<boolean> {
  const [start] = await reader.fetch([{ offset: 0, length: 4 }]);
  const [a, b, c, d] = new Uint8Array(start);
  const little = a === 0x49 && b === 0x49 && (c === 42 || c === 43) && d === 0;
  const big = a === 0x4d && b === 0x4d && c === 0 && (d === 42 || d === 43);
  return little || big;
}

/** The end of the last tile or strip of any level, from the tile index (read once, kept by geotiff.js). */
async function dataEnd(images: GeoTIFFImage[]): Promise<number> {
  let end = 0;
  for (const image of images) {
    const directory = image.fileDirectory;
    const offsets = (await directory.loadValue(image.isTiled ? "TileOffsets" : "StripOffsets")) as ArrayLike<number>;
    const counts = (await directory.loadValue(
      image.isTiled ? "TileByteCounts" : "StripByteCounts",
    )) as ArrayLike<number>;
    for (let i = 0; i < offsets.length; i++) end = Math.max(end, Number(offsets[i]) + Number(counts[i]));
  }
  return end;
}

function pixelProblem(image: GeoTIFFImage): string | null {
  const bits = image.getBitsPerSample(0);
  const format = image.getSampleFormat(0);
  if (bits !== 8 || format !== 1) {
    const kind = format === 3 ? "floating-point" : format === 2 ? "signed" : "unsigned";
    return `its pixels are ${bits}-bit ${kind} samples; the app shows and crops 8-bit images`;
  }
  return null;
}

/** The affine transform of the full-resolution image (pixel corner → CRS), or null when the file has none. */
function affineTransform(image: GeoTIFFImage): AffineTransform | null {
  const directory = image.fileDirectory;
  const matrix = directory.getValue("ModelTransformation") as number[] | undefined;
  const tie = directory.getValue("ModelTiepoint") as number[] | undefined;
  const scale = directory.getValue("ModelPixelScale") as number[] | undefined;
  let transform: AffineTransform;
  if (matrix && matrix.length >= 8) {
    transform = [matrix[3], matrix[0], matrix[1], matrix[7], matrix[4], matrix[5]];
  } else if (tie && tie.length >= 6 && scale && scale.length >= 2) {
    const [i, j, , x, y] = tie;
    transform = [x - i * scale[0], scale[0], 0, y + j * scale[1], 0, -scale[1]];
  } else {
    return null;
  }
  // PixelIsPoint files place the tie point at a pixel's centre; the app's transforms start at its corner.
  if ((image.getGeoKeys() as Record<string, unknown> | null)?.GTRasterTypeGeoKey === 2) {
    const [x0, dx, rx, y0, ry, dy] = transform;
    transform = [x0 - 0.5 * (dx + rx), dx, rx, y0 - 0.5 * (ry + dy), ry, dy];
  }
  return transform;
}

/** The zoom at which a Web Mercator pixel on the ground is no larger than the raster's pixel. */
function maxZoomFor(georef: GeoReference, bbox: BBox): number {
  const centreLat = (bbox.north + bbox.south) / 2;
  const mapPixelAtZoom0 = (2 * Math.PI * EARTH_RADIUS_M * groundScale(centreLat)) / 256;
  return Math.max(0, Math.min(22, Math.ceil(Math.log2(mapPixelAtZoom0 / groundSampleDistance(georef)))));
}
