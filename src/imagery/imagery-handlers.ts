import { pixelRectToBBox } from "../geo/georef";
import { type Handlers, Transferring } from "../io/worker-rpc";
import { type CropPlan, planCrop, planWindowCrop } from "./crop-plan";
import type { ImageryMessages, PixelRect } from "./imagery-messages";
import { planRasterCrop, planRasterWindow, type RasterCropPlan } from "./raster/raster-crop-plan";
import { readWindowRgba, renderRasterTile } from "./raster/read";
import { openRasterOnce, rasterFor, releaseRasters } from "./raster/registry";
import { stitchCrop } from "./stitch";
import { type CropSurface, context2d, cropSurface } from "./surface";
import { networkTileReader } from "./tiles/readers";
import type { BBox, CropProgress, CroppedImage, TileSourceSpec } from "./types";

/**
 * Crops in the current thread into a georeferenced PNG: tile sources are fetched, stitched and cropped at a zoom;
 * a GeoTIFF is read in its own pixel grid at a level (`zoom` is the level then; 0 = full resolution).
 */
export async function cropHere(
  source: TileSourceSpec,
  bbox: BBox,
  zoom: number,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  if (source.kind === "geotiff") {
    const raster = await rasterFor(source);
    const planned = planRasterCrop(raster.info, bbox, zoom);
    if (!planned.valid) throw new RangeError(planned.reason);
    return cropPlanned(source, planned.plan, bbox, onProgress, signal);
  }
  const planned = planCrop(bbox, zoom, undefined, source.tileSize);
  if (!planned.valid) throw new RangeError(planned.reason);
  return cropPlanned(source, planned.plan, bbox, onProgress, signal);
}

/**
 * Crops an exact window of the source's pixel grid (Web Mercator global pixels at a zoom, a GeoTIFF's pixels at a
 * level, clipped to the raster) by the same code as a selection's crop: a sweep's chip, with no round trip through
 * degrees that a raster's CRS would widen.
 */
export async function cropWindowHere(
  source: TileSourceSpec,
  zoom: number,
  [left, top, right, bottom]: PixelRect,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  const plan =
    source.kind === "geotiff"
      ? planRasterWindow((await rasterFor(source)).info, zoom, [left, top, right, bottom])
      : planWindowCrop({ left, top, width: right - left, height: bottom - top }, zoom, source.tileSize);
  if (!plan.valid) throw new RangeError(plan.reason);
  const { georef } = plan.plan;
  return cropPlanned(
    source,
    plan.plan,
    pixelRectToBBox(georef, [0, 0, georef.width, georef.height]),
    onProgress,
    signal,
  );
}

async function cropPlanned(
  source: TileSourceSpec,
  plan: CropPlan | RasterCropPlan,
  bbox: BBox,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  const image = {
    georef: plan.georef,
    zoom: plan.kind === "raster" ? plan.level : plan.zoom,
    sourceId: source.id,
    bbox,
  };
  if (plan.kind === "tiles") {
    if (source.kind === "geotiff") throw new Error("A GeoTIFF is cropped in its own grid, not from map tiles.");
    const surface = await stitchCrop(networkTileReader(source), plan, source.name, onProgress, signal);
    return encoded(surface, image, onProgress, signal);
  }
  if (source.kind !== "geotiff") throw new Error(`${source.name} has no raster grid to crop from.`);
  const raster = await rasterFor(source);
  const { window, georef, level } = plan;
  onProgress({ status: "reading", bytesRead: raster.reader.bytesRead });
  const rgba = await readWindowRgba(raster, level, window, signal);
  onProgress({ status: "reading", bytesRead: raster.reader.bytesRead });
  const surface = cropSurface(georef.width, georef.height);
  surface.putRgba(rgba);
  return encoded(surface, image, onProgress, signal);
}

async function encoded(
  surface: CropSurface,
  image: Omit<CroppedImage, "png" | "width" | "height">,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  onProgress({ status: "encoding" });
  const png = await surface.encodePng();
  signal?.throwIfAborted();
  onProgress({ status: "done" });
  return { ...image, width: surface.width, height: surface.height, png };
}

/** What the imagery worker does, also run in the page where there is no worker. */
export const imageryHandlers: Handlers<ImageryMessages> = {
  crop: async ({ source, bbox, zoom }, { emit, signal }) => cropHere(source, bbox, zoom, emit, signal),
  cropWindow: async ({ source, zoom, window }, { emit, signal }) => cropWindowHere(source, zoom, window, emit, signal),
  openRaster: async ({ id, name, location }) => {
    const result = await openRasterOnce(id, name, location);
    return result.valid ? { valid: true, info: { ...result.info, bytesRead: result.reader.bytesRead } } : result;
  },
  rasterTile: async ({ source, z, x, y }, { signal }) => {
    const raster = await rasterFor(source);
    const rgba = await renderRasterTile(raster, z, x, y, signal);
    const bytesRead = raster.reader.bytesRead;
    if (!rgba) return { png: null, bytesRead };
    const canvas = new OffscreenCanvas(256, 256);
    context2d(canvas).putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, 256, 256), 0, 0);
    const png = await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer();
    return new Transferring({ png, bytesRead }, [png]);
  },
  releaseRasters: async ({ keep }) => {
    releaseRasters(keep);
    return null;
  },
};
