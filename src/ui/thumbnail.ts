const THUMBNAIL_SIDE = 96;

/** A small PNG of an image for the history list; the image itself when the browser cannot scale it. */
export async function thumbnailOf(png: Blob): Promise<Blob> {
  try {
    const bitmap = await createImageBitmap(png);
    const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    canvas.getContext("2d")?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await canvas.convertToBlob({ type: "image/png" });
  } catch {
    return png;
  }
}
