import sharp from "sharp";

/** A smooth side × side RGB test image written as PNG to `path` (square: no resize before the model). */
export async function writeTestImage(path: string, side: number): Promise<string> {
  const pixels = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++)
      for (let c = 0; c < 3; c++) pixels[(y * side + x) * 3 + c] = (x * (3 + c) + y * (5 + 2 * c)) % 256;
  await sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toFile(path);
  return path;
}
