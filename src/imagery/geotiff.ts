import { fromArrayBuffer, type GeoTIFFImage } from "geotiff";
import {
  EARTH_RADIUS_M,
  MERCATOR_HALF_WORLD_M,
  mercatorToLngLat,
  worldPixelToLngLat,
  worldPixelToMercator,
} from "../geo/mercator";
import type { BBox } from "../geo/tiles";

/** Projections the app can place: geographic WGS 84 and Web Mercator (with its older aliases). */
const PLACEABLE: Record<number, 4326 | 3857> = { 4326: 4326, 3857: 3857, 900913: 3857, 3785: 3857, 102100: 3857 };
/** The largest file read: it is read whole into memory. */
export const MAX_FILE_BYTES = 1024 ** 3;
/** The largest side kept in memory; larger files are read at a reduced resolution. */
export const MAX_RASTER_SIDE = 4096;

/** A GeoTIFF decoded to RGBA and placed on the Earth. */
export interface GeoTiffRaster {
  name: string;
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  epsg: 4326 | 3857;
  /** Top-left corner and pixel size in the file's CRS units (degrees or metres); rows grow southwards. */
  origin: [number, number];
  resolution: [number, number];
  bbox: BBox;
  /** The finest zoom worth rendering: where a map pixel is about the size of a file pixel. */
  maxZoom: number;
}

/** A GeoTIFF the app can place, or why it cannot. */
export type GeoTiffResult = { valid: true; raster: GeoTiffRaster } | { valid: false; reason: string };

/** Reads a GeoTIFF or COG from a Blob or File. */
export async function openGeoTiff(file: Blob, name: string, signal?: AbortSignal): Promise<GeoTiffResult> {
  if (file.size > MAX_FILE_BYTES) {
    const gb = (file.size / 1024 ** 3).toFixed(1);
    return {
      valid: false,
      reason: `${name} is ${gb} GB; the app opens GeoTIFFs up to 1 GB. Cut the area first, e.g. with gdal_translate -projwin.`,
    };
  }
  let image: GeoTIFFImage;
  try {
    image = await (await fromArrayBuffer(await file.arrayBuffer(), signal)).getImage();
  } catch (error) {
    signal?.throwIfAborted();
    const detail = error instanceof Error ? error.message : String(error);
    return {
      valid: false,
      reason: `${name} is not a GeoTIFF (${detail}). Open a .tif/.tiff GeoTIFF or Cloud-Optimized GeoTIFF.`,
    };
  }
  const epsg = detectEpsg(image);
  if (epsg === null) {
    return {
      valid: false,
      reason: `${name} is a TIFF without georeferencing (no GeoKeys); the app cannot tell where it lies.`,
    };
  }
  const placeable = PLACEABLE[epsg];
  if (!placeable) {
    return {
      valid: false,
      reason:
        `${name} is in EPSG:${epsg}, which the app cannot place. It reads EPSG:4326 and EPSG:3857; ` +
        `reproject first, e.g. \`gdalwarp -t_srs EPSG:3857 ${name} ${name.replace(/\.tiff?$/i, "")}-3857.tif\`.`,
    };
  }
  return { valid: true, raster: await decodeRaster(image, name, placeable, signal) };
}

function detectEpsg(image: GeoTIFFImage): number | null {
  const keys = image.getGeoKeys() as Record<string, unknown> | null;
  if (!keys) return null;
  const projected = Number(keys.ProjectedCSTypeGeoKey);
  if (Number.isFinite(projected) && projected > 0 && projected !== 32767) return projected;
  const geographic = Number(keys.GeographicTypeGeoKey);
  if (Number.isFinite(geographic) && geographic > 0 && geographic !== 32767) return geographic;
  return null;
}

async function decodeRaster(
  image: GeoTIFFImage,
  name: string,
  epsg: 4326 | 3857,
  signal?: AbortSignal,
): Promise<GeoTiffRaster> {
  const scale = Math.min(1, MAX_RASTER_SIDE / Math.max(image.getWidth(), image.getHeight()));
  const width = Math.max(1, Math.round(image.getWidth() * scale));
  const height = Math.max(1, Math.round(image.getHeight() * scale));
  const rgb = await image.readRGB({ width, height, enableAlpha: true, interleave: true, signal } as Parameters<
    GeoTIFFImage["readRGB"]
  >[0]);
  const rgba = toRgba(rgb as unknown as ArrayLike<number>, width * height);
  const [originX, originY] = image.getOrigin();
  const [resX, resY] = image.getResolution();
  const resolution: [number, number] = [(resX * image.getWidth()) / width, (resY * image.getHeight()) / height];
  const bbox = rasterBBox(epsg, [originX, originY], resolution, width, height);
  return {
    name,
    width,
    height,
    rgba,
    epsg,
    origin: [originX, originY],
    resolution,
    bbox,
    maxZoom: maxZoomFor(epsg, resolution, bbox),
  };
}

function toRgba(samples: ArrayLike<number>, pixels: number): Uint8ClampedArray {
  const channels = samples.length / pixels;
  const rgba = new Uint8ClampedArray(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    rgba[i * 4] = samples[i * channels];
    rgba[i * 4 + 1] = samples[i * channels + 1];
    rgba[i * 4 + 2] = samples[i * channels + 2];
    rgba[i * 4 + 3] = channels === 4 ? samples[i * channels + 3] : 255;
  }
  return rgba;
}

function rasterBBox(
  epsg: 4326 | 3857,
  origin: [number, number],
  resolution: [number, number],
  width: number,
  height: number,
): BBox {
  const x1 = origin[0] + resolution[0] * width;
  const y1 = origin[1] + resolution[1] * height;
  if (epsg === 4326) {
    return { west: origin[0], south: Math.min(origin[1], y1), east: x1, north: Math.max(origin[1], y1) };
  }
  const [west, south] = mercatorToLngLat([origin[0], Math.min(origin[1], y1)]);
  const [east, north] = mercatorToLngLat([x1, Math.max(origin[1], y1)]);
  return { west, south, east, north };
}

function maxZoomFor(epsg: 4326 | 3857, resolution: [number, number], bbox: BBox): number {
  const metresPerPixel =
    epsg === 3857 ? Math.abs(resolution[0]) : Math.abs(resolution[0]) * ((Math.PI * EARTH_RADIUS_M) / 180);
  const zoom = Math.ceil(Math.log2((2 * MERCATOR_HALF_WORLD_M) / (256 * metresPerPixel)));
  const centreLat = (bbox.north + bbox.south) / 2;
  const latCorrection = epsg === 4326 ? Math.ceil(Math.log2(1 / Math.cos((centreLat * Math.PI) / 180))) : 0;
  return Math.max(0, Math.min(22, zoom + latCorrection));
}

/**
 * Renders one 256-px Web Mercator tile from the raster (nearest neighbour, reprojecting EPSG:4326 row by row), or null
 * when the tile lies outside the file.
 */
export function renderGeoTiffTile(raster: GeoTiffRaster, z: number, x: number, y: number): Uint8ClampedArray | null {
  const size = 256;
  const out = new Uint8ClampedArray(size * size * 4);
  let any = false;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const world: [number, number] = [x * size + col + 0.5, y * size + row + 0.5];
      const [u, v] = sourcePixel(raster, world, z);
      if (u < 0 || v < 0 || u >= raster.width || v >= raster.height) continue;
      const from = (Math.floor(v) * raster.width + Math.floor(u)) * 4;
      out.set(raster.rgba.subarray(from, from + 4), (row * size + col) * 4);
      any = true;
    }
  }
  return any ? out : null;
}

function sourcePixel(raster: GeoTiffRaster, world: [number, number], z: number): [number, number] {
  const [x, y] = raster.epsg === 3857 ? worldPixelToMercator(world, z) : worldPixelToLngLat(world, z);
  return [(x - raster.origin[0]) / raster.resolution[0], (y - raster.origin[1]) / raster.resolution[1]];
}
