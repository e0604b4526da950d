import { type Handlers, Transferring } from "../io/worker-rpc";
import { planCrop } from "./crop-plan";
import type { ImageryMessages } from "./imagery-messages";
import { planRasterCrop } from "./raster/raster-crop-plan";
import { readWindowRgba, renderRasterTile } from "./raster/read";
import { openRasterOnce, rasterFor, releaseRasters } from "./raster/registry";
import { stitchCrop } from "./stitch";
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
  if (source.kind === "geotiff") return cropRaster(source, bbox, zoom, onProgress, signal);
  const planned = planCrop(bbox, zoom, undefined, source.tileSize);
  if (!planned.valid) throw new RangeError(planned.reason);
  const canvas = await stitchCrop(networkTileReader(source), planned.plan, source.name, onProgress, signal);
  return encoded(canvas, { georef: planned.plan.georef, zoom, sourceId: source.id, bbox }, onProgress, signal);
}

async function cropRaster(
  source: Extract<TileSourceSpec, { kind: "geotiff" }>,
  bbox: BBox,
  level: number,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  const raster = await rasterFor(source);
  const planned = planRasterCrop(raster.info, bbox, level);
  if (!planned.valid) throw new RangeError(planned.reason);
  const { window, georef } = planned.plan;
  onProgress({ status: "reading", bytesRead: raster.reader.bytesRead });
  const rgba = await readWindowRgba(raster, level, window, signal);
  onProgress({ status: "reading", bytesRead: raster.reader.bytesRead });
  const canvas = new OffscreenCanvas(georef.width, georef.height);
  context2d(canvas).putImageData(
    new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, georef.width, georef.height),
    0,
    0,
  );
  return encoded(canvas, { georef, zoom: level, sourceId: source.id, bbox }, onProgress, signal);
}

async function encoded(
  canvas: OffscreenCanvas,
  image: Omit<CroppedImage, "png" | "width" | "height">,
  onProgress: (progress: CropProgress) => void,
  signal?: AbortSignal,
): Promise<CroppedImage> {
  onProgress({ status: "encoding" });
  const png = await canvas.convertToBlob({ type: "image/png" });
  signal?.throwIfAborted();
  onProgress({ status: "done" });
  return { ...image, width: canvas.width, height: canvas.height, png };
}

function context2d(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const context = canvas.getContext("2d");
  if (!context)
    throw new Error("This browser gives no 2-D context for an OffscreenCanvas; use a current Chromium or Firefox.");
  return context;
}

/** What the imagery worker does, also run in the page where there is no worker. */
export const imageryHandlers: Handlers<ImageryMessages> = {
  crop: async ({ source, bbox, zoom }, { emit, signal }) => cropHere(source, bbox, zoom, emit, signal),
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
