import { expect, test } from "@playwright/test";
import { planCrop } from "../src/imagery/crop-plan";
import type { cropInWorker } from "../src/imagery/imagery-client";
import { encodeCoordinate, startTileServer, type TileServer } from "./support/tile-server";

let tiles: TileServer;
test.beforeAll(async () => {
  tiles = await startTileServer();
});
test.afterAll(async () => {
  await tiles.close();
});

interface CropOutcome {
  width: number;
  height: number;
  pixels: number[];
  transform: number[];
  error?: string;
}

/** Runs the app's own crop (the worker path the UI uses) and returns the decoded pixels. */
async function cropInPage(
  page: import("@playwright/test").Page,
  template: string,
  bbox: { west: number; south: number; east: number; north: number },
  zoom: number,
): Promise<CropOutcome> {
  return page.evaluate(
    async ({ template, bbox, zoom }) => {
      const hooks = (window as unknown as { __geozero: { cropInWorker: typeof cropInWorker } }).__geozero;
      const source: Parameters<typeof cropInWorker>[0] = {
        kind: "xyz",
        id: "test",
        name: "Synthetic pyramid",
        urlTemplate: template,
        tileSize: 256,
        maxZoom: 22,
      };
      try {
        const image = await hooks.cropInWorker(source, bbox, zoom, () => {});
        const bitmap = await createImageBitmap(image.png);
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const context = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
        context.drawImage(bitmap, 0, 0);
        const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
        return {
          width: image.width,
          height: image.height,
          pixels: Array.from(data),
          transform: image.georef.transform,
        };
      } catch (error) {
        return { width: 0, height: 0, pixels: [], transform: [], error: (error as Error).message };
      }
    },
    { template, bbox, zoom },
  );
}

const cases = [
  { name: "mid-latitude at zoom 15", bbox: { west: 13.3711, south: 52.5103, east: 13.3932, north: 52.5211 }, zoom: 15 },
  {
    name: "across the antimeridian at zoom 9",
    bbox: { west: 179.3, south: -17.2, east: -179.6, north: -16.4 },
    zoom: 9,
  },
  { name: "near 85° north at zoom 12", bbox: { west: -20.05, south: 84.9, east: -19.9, north: 84.95 }, zoom: 12 },
];

for (const c of cases) {
  test(`crop pixels are exactly the selection's global pixels: ${c.name}`, async ({ page }) => {
    await page.goto("/");
    const planned = planCrop(c.bbox, c.zoom);
    if (!planned.valid) throw new Error(planned.reason);
    const { window } = planned.plan;
    const result = await cropInPage(page, `${tiles.url}/cors/{z}/{x}/{y}.png`, c.bbox, c.zoom);
    expect(result.error).toBeUndefined();
    expect([result.width, result.height]).toEqual([window.width, window.height]);
    expect(result.transform).toEqual(planned.plan.georef.transform);
    const world = 256 * 2 ** c.zoom;
    let mismatches = 0;
    for (let row = 0; row < result.height; row++) {
      for (let col = 0; col < result.width; col++) {
        const expected = encodeCoordinate((window.left + col) % world, window.top + row);
        const at = (row * result.width + col) * 4;
        const same = expected.every((v, i) => result.pixels[at + i] === v) && result.pixels[at + 3] === 255;
        if (!same) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });
}

test("a tile server without CORS gives an error naming the source and the fix", async ({ page }) => {
  await page.goto("/");
  const result = await cropInPage(page, `${tiles.url}/nocors/{z}/{x}/{y}.png`, cases[0].bbox, 15);
  expect(result.error).toMatch(/Synthetic pyramid tile 15\/\d+\/\d+/);
  expect(result.error).toMatch(/does not allow cross-origin reads/);
  expect(result.error).toMatch(/pack-area/);
});

test("a missing tile gives an error naming the tile", async ({ page }) => {
  await page.goto("/");
  const result = await cropInPage(page, `${tiles.url}/missing/{z}/{x}/{y}.png`, cases[0].bbox, 15);
  expect(result.error).toMatch(/Synthetic pyramid tile 15\/\d*[13579]\/\d+: the source has no tile here/);
});
