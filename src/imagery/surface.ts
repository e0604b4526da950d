/**
 * Where a crop's pixels are drawn and encoded: an OffscreenCanvas in the browser (the imagery worker, or the page);
 * `npm run sweep` registers one over sharp in Node (tools/sweep), so the crop code itself is the same in both.
 */

/** A crop's pixel surface, `width × height`. */
export interface CropSurface {
  readonly width: number;
  readonly height: number;
  /** Decodes an encoded tile image and draws it with its top-left corner at (dx, dy), `size` px a side. */
  drawTile(tile: Blob, dx: number, dy: number, size: number): Promise<void>;
  /** Sets every pixel from RGBA bytes, row by row. */
  putRgba(rgba: Uint8ClampedArray): void;
  /** The surface as a PNG image. */
  encodePng(): Promise<Blob>;
}

/** Makes a surface of a size. */
export type CropSurfaceFactory = (width: number, height: number) => CropSurface;

/** A 2-D context of an OffscreenCanvas, or the sentence that says the browser lacks one. */
export function context2d(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const context = canvas.getContext("2d");
  if (!context)
    throw new Error("This browser gives no 2-D context for an OffscreenCanvas; use a current Chromium or Firefox.");
  return context;
}

/** The browser's surface: an OffscreenCanvas, tiles decoded by `createImageBitmap`. */
export function canvasSurface(width: number, height: number): CropSurface {
  const canvas = new OffscreenCanvas(width, height);
  const context = context2d(canvas);
  return {
    width,
    height,
    async drawTile(tile, dx, dy, size) {
      const bitmap = await createImageBitmap(tile);
      context.drawImage(bitmap, dx, dy, size, size);
      bitmap.close();
    },
    putRgba(rgba) {
      context.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
    },
    encodePng: () => canvas.convertToBlob({ type: "image/png" }),
  };
}

let factory: CropSurfaceFactory = canvasSurface;

/** Chooses how crops draw (Node tools register theirs once, before cropping). */
export function registerCropSurface(make: CropSurfaceFactory): void {
  factory = make;
}

/** A surface of the registered kind. */
export function cropSurface(width: number, height: number): CropSurface {
  return factory(width, height);
}
