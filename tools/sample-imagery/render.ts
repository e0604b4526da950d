/** The synthetic sample scene placed on the Web Mercator pixel grid: the archive's area, and any window rendered. */
import { groundResolution, lngLatToWorldPixel } from "../../src/geo/mercator";
import { groundColour } from "./scene";

/** Where the archive goes, and the area and zooms it covers. */
export const SAMPLE = {
  path: "public/sample/synthetic-sample.pmtiles",
  bounds: { west: 9.99, south: 47.99, east: 10.02, north: 48.01 },
  minZoom: 12,
  maxZoom: 17,
  seed: 2511,
};

export const TILE = 256;

export function tileRange(zoom: number) {
  const [west, north] = lngLatToWorldPixel([SAMPLE.bounds.west, SAMPLE.bounds.north], zoom);
  const [east, south] = lngLatToWorldPixel([SAMPLE.bounds.east, SAMPLE.bounds.south], zoom);
  return {
    x0: Math.floor(west / TILE),
    x1: Math.floor((east - 1) / TILE),
    y0: Math.floor(north / TILE),
    y1: Math.floor((south - 1) / TILE),
  };
}

/** The scene's north-west corner in world pixels at `zoom`, and its metres per pixel there. */
export function sceneFrame(zoom: number): { originX: number; originY: number; metresPerPixel: number } {
  const [originX, originY] = lngLatToWorldPixel([SAMPLE.bounds.west, SAMPLE.bounds.north], zoom);
  const metresPerPixel = groundResolution((SAMPLE.bounds.north + SAMPLE.bounds.south) / 2, zoom);
  return { originX, originY, metresPerPixel };
}

/**
 * Renders a window of world pixels at `zoom` as RGB bytes: each pixel samples the scene at its centre (4 samples at
 * coarse zooms to avoid aliasing). A tile is the window of its 256 × 256 pixels.
 */
export function renderWindow(left: number, top: number, width: number, height: number, zoom: number): Buffer {
  const { originX, originY, metresPerPixel } = sceneFrame(zoom);
  const samples = zoom >= 16 ? 1 : 2;
  const pixels = Buffer.alloc(width * height * 3);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const sum = [0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const px = left + col + (sx + 0.5) / samples - originX;
          const py = top + row + (sy + 0.5) / samples - originY;
          const rgb = groundColour(px * metresPerPixel, py * metresPerPixel, SAMPLE.seed);
          sum[0] += rgb[0];
          sum[1] += rgb[1];
          sum[2] += rgb[2];
        }
      }
      const at = (row * width + col) * 3;
      for (let c = 0; c < 3; c++) pixels[at + c] = Math.round(sum[c] / (samples * samples));
    }
  }
  return pixels;
}
