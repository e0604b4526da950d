/**
 * Crop benchmark: stitch and crop a 4096 × 4096 selection from 256-px tiles served on localhost, in headless
 * Chromium, against the floor: fetching, decoding and drawing the same tiles into one canvas with the same
 * concurrency and nothing else. Runs alternate so both see the same machine state.
 */
import { startTileServer } from "../../e2e/support/tile-server";
import { worldPixelToLngLat } from "../../src/geo/mercator";
import { planCrop } from "../../src/imagery/crop-plan";
import type { cropInWorker } from "../../src/imagery/imagery-client";
import { chromiumRss, openAppPage, peakWhile } from "./browser";
import type { BenchPart } from "./parts";

const ZOOM = 16;
const REPEATS = 3;

function selection4096() {
  const left = 34_000 * 256 + 100;
  const top = 22_000 * 256 + 77;
  const [west, north] = worldPixelToLngLat([left, top], ZOOM);
  const [east, south] = worldPixelToLngLat([left + 4096, top + 4096], ZOOM);
  return { west, south, east, north };
}

export const cropBench: BenchPart = {
  name: "crop",
  async run() {
    const tiles = await startTileServer();
    const app = await openAppPage();
    const bbox = selection4096();
    const planned = planCrop(bbox, ZOOM);
    if (!planned.valid) throw new Error(planned.reason);
    const template = `${tiles.url}/cors/{z}/{x}/{y}.png`;
    const tileUrls = planned.plan.tiles.map(({ tile, dx, dy }) => ({
      url: template.replace("{z}", String(tile.z)).replace("{x}", String(tile.x)).replace("{y}", String(tile.y)),
      dx,
      dy,
    }));
    const runApp = () =>
      app.page.evaluate(
        async ({ template, bbox, zoom }) => {
          const hooks = (window as unknown as { __geozero: { cropInWorker: typeof cropInWorker } }).__geozero;
          const source = {
            kind: "xyz" as const,
            id: "bench",
            name: "bench",
            urlTemplate: template,
            tileSize: 256,
            maxZoom: 22,
          };
          const started = performance.now();
          const image = await hooks.cropInWorker(source, bbox, zoom, () => {});
          return { ms: performance.now() - started, width: image.width, height: image.height };
        },
        { template, bbox, zoom: ZOOM },
      );
    const runFloor = () =>
      app.page.evaluate(
        async ({ tileUrls, width, height }) => {
          const started = performance.now();
          const canvas = new OffscreenCanvas(width, height);
          const context = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
          let next = 0;
          const lane = async () => {
            while (next < tileUrls.length) {
              const { url, dx, dy } = tileUrls[next++];
              const bitmap = await createImageBitmap(await (await fetch(url)).blob());
              context.drawImage(bitmap, dx, dy);
              bitmap.close();
            }
          };
          await Promise.all(Array.from({ length: 6 }, lane));
          return { ms: performance.now() - started, width, height };
        },
        { tileUrls, width: planned.width, height: planned.height },
      );

    await runFloor(); // warm the tile server's cache and the browser
    const appMs: number[] = [];
    const floorMs: number[] = [];
    let peakRss = 0;
    for (let i = 0; i < REPEATS; i++) {
      const measured = await peakWhile(chromiumRss, runApp);
      peakRss = Math.max(peakRss, measured.peak);
      appMs.push(measured.result.ms);
      floorMs.push((await runFloor()).ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const appMedian = median(appMs);
    const floorMedian = median(floorMs);
    console.log(
      `selection: ${planned.width} × ${planned.height} px at zoom ${ZOOM}, ${planned.plan.tiles.length} tiles of 256 px`,
    );
    console.log(
      `app crop (worker: fetch, decode, draw, crop, PNG encode): median ${appMedian.toFixed(0)} ms  runs ${appMs.map((m) => m.toFixed(0)).join(", ")}`,
    );
    console.log(
      `floor (fetch, decode, draw into one canvas):           median ${floorMedian.toFixed(0)} ms  runs ${floorMs.map((m) => m.toFixed(0)).join(", ")}`,
    );
    console.log(`ratio app / floor: ${(appMedian / floorMedian).toFixed(2)} (target ≤ 1.5)`);
    console.log(`peak Chromium RSS during app crops: ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    await app.close();
    await tiles.close();
  },
};
