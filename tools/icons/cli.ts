/**
 * Renders the app's icons for its web app manifest from `public/icons/icon.svg`: 192 and 512 px, and a maskable 512 px
 * whose drawing sits inside the safe zone (the inner 80 %), as launchers crop it to a circle or a rounded square.
 * Usage: `npm run make-icons` (the PNGs are committed; run it after editing the SVG).
 */
import { readFileSync } from "node:fs";
import sharp from "sharp";

const DIR = "public/icons";
const BACKGROUND = "#111418";

async function main(): Promise<void> {
  const svg = readFileSync(`${DIR}/icon.svg`);
  for (const size of [192, 512]) {
    await sharp(svg, { density: 300 }).resize(size, size).png().toFile(`${DIR}/icon-${size}.png`);
  }
  const inner = Math.round(512 * 0.7);
  const drawing = await sharp(svg, { density: 300 }).resize(inner, inner).png().toBuffer();
  await sharp({ create: { width: 512, height: 512, channels: 4, background: BACKGROUND } })
    .composite([{ input: drawing, gravity: "center" }])
    .png()
    .toFile(`${DIR}/icon-maskable-512.png`);
  console.log(`${DIR}: icon-192.png, icon-512.png, icon-maskable-512.png`);
}

await main();
