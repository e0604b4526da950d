import { readFileSync } from "node:fs";
import { type Download, expect, type Page, test } from "@playwright/test";
import { worldPixelToLngLat } from "../src/geo/mercator";
import type { BBox } from "../src/geo/tiles";
import { SAMPLE, sceneFrame } from "../tools/sample-imagery/render";
import { roofsIn } from "../tools/sample-imagery/scene";
import { startTileServer, type TileServer } from "./support/tile-server";

let tiles: TileServer;
test.beforeAll(async () => {
  tiles = await startTileServer();
});
test.afterAll(async () => {
  await tiles.close();
});

type Hooks = {
  __geozero: {
    store: { getState(): { setRectangle(b: BBox): void; setCropZoom(z: number | null): void } };
    scriptSweepAnswers(objects: BBox[] | null, label?: string, jitter?: number): void;
    map(): {
      whenReady(): Promise<void>;
      map: { getSource(id: string): { serialize(): { data: GeoJSON.FeatureCollection } } };
    } | null;
  };
};

/** The sample scene's area [x1, y1, x2, y2] in metres from its north-west corner, as longitude/latitude at zoom 17. */
function sceneBBox([x1, y1, x2, y2]: [number, number, number, number]): BBox {
  const { originX, originY, metresPerPixel } = sceneFrame(17);
  const [west, north] = worldPixelToLngLat([originX + x1 / metresPerPixel, originY + y1 / metresPerPixel], 17);
  const [east, south] = worldPixelToLngLat([originX + x2 / metresPerPixel, originY + y2 / metresPerPixel], 17);
  return { west, south, east, north };
}

/** The village and a margin: every roof of the scene lies inside (the village is within 390 m of (1400, 1150)). */
const VILLAGE: [number, number, number, number] = [960, 700, 1840, 1600];

function iou(a: BBox, b: BBox): number {
  const w = Math.min(a.east, b.east) - Math.max(a.west, b.west);
  const h = Math.min(a.north, b.north) - Math.max(a.south, b.south);
  if (w <= 0 || h <= 0) return 0;
  const area = (r: BBox) => (r.east - r.west) * (r.north - r.south);
  return (w * h) / (area(a) + area(b) - w * h);
}

function ringBBox(feature: GeoJSON.Feature): BBox {
  const ring = (feature.geometry as GeoJSON.Polygon).coordinates[0];
  const lngs = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  return { west: Math.min(...lngs), south: Math.min(...lats), east: Math.max(...lngs), north: Math.max(...lats) };
}

async function mapSource(page: Page, id: string): Promise<GeoJSON.FeatureCollection> {
  return page.evaluate((source) => {
    const view = (window as unknown as Hooks).__geozero.map();
    if (!view) throw new Error("no map");
    return view.map.getSource(source).serialize().data;
  }, id);
}

async function download(page: Page, click: () => Promise<void>): Promise<Download> {
  const pending = page.waitForEvent("download");
  await click();
  return pending;
}

test("a sweep of the sample village, answered with the true roofs chip by chip, maps each roof once", async ({
  page,
}) => {
  const roofs = roofsIn([0, 0, 2400, 2400], SAMPLE.seed).map((r) => sceneBBox(r));
  const selection = sceneBBox(VILLAGE);
  const inside = roofs.filter(
    (r) =>
      r.west >= selection.west && r.east <= selection.east && r.south >= selection.south && r.north <= selection.north,
  );
  expect(inside.length).toBe(roofs.length);
  expect(roofs.length).toBeGreaterThan(100);

  await page.goto("/");
  await page.waitForFunction(() => (window as unknown as Hooks).__geozero?.map() != null);
  await page.evaluate(() => (window as unknown as Hooks).__geozero.map()?.whenReady());
  await page.evaluate(
    ({ bbox, objects }) => {
      const hooks = (window as unknown as Hooks).__geozero;
      hooks.store.getState().setRectangle(bbox);
      hooks.store.getState().setCropZoom(17);
      // Each edge up to 0.3 px off, differently in each chip, as a model's boxes would be.
      hooks.scriptSweepAnswers(objects, "roof", 0.3);
    },
    { bbox: selection, objects: roofs },
  );
  // Grounding takes the chosen model's box convention (pixels for GeoZero), the scripted answerer's: pick it once the
  // model list has loaded, or it falls back to relative-1000 and no cut roof joins.
  await expect(page.getByTestId("model-select")).toHaveValue(/geozero/);
  await page.getByTestId("task").selectOption("grounding");
  await page.getByTestId("grounding-target").fill("roof");
  await page.getByTestId("grounding-several").check();

  // The plan and its grid on the map before anything runs: 880 × 900 m at 0.8 m/px is about 1100 px a side.
  await page.getByTestId("sweep-plan-toggle").check();
  await expect(page.getByTestId("sweep-plan")).toContainText(
    "9 chips (3 × 3) of 448 px, 15 % overlap (67 px), at zoom 17",
  );
  await expect.poll(async () => (await mapSource(page, "sweep-grid")).features.length).toBe(9);
  expect((await mapSource(page, "sweep-merged")).features).toHaveLength(0);

  await page.getByTestId("sweep-run").click();
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "finished", { timeout: 60_000 });
  await expect(page.getByTestId("sweep-progress-text")).toContainText("9 / 9 chips");
  const failed = page.getByTestId("sweep-failed");
  const reasons = (await failed.count()) > 0 ? await failed.textContent() : "";
  expect(reasons, "no chip of the sample archive fails").toBe("");
  await expect
    .poll(async () => (await mapSource(page, "sweep-grid")).features.map((f) => f.properties?.state))
    .toEqual(Array(9).fill("done"));

  // Exactly one merged box per roof, each matching its roof at IoU ≥ 0.9 in longitude/latitude.
  await expect.poll(async () => (await mapSource(page, "sweep-merged")).features.length).toBe(roofs.length);
  const merged = (await mapSource(page, "sweep-merged")).features.map(ringBBox);
  const matched = new Set<number>();
  for (const roof of roofs) {
    let best = -1;
    let bestIou = 0;
    merged.forEach((box, i) => {
      const overlap = iou(roof, box);
      if (overlap > bestIou) [best, bestIou] = [i, overlap];
    });
    expect(bestIou).toBeGreaterThanOrEqual(0.9);
    matched.add(best);
  }
  expect(matched.size).toBe(roofs.length);
  await expect(page.getByTestId("sweep-counts")).toHaveText(`roof${roofs.length}`);
  // Roofs cut by chip edges were seen in two or four chips and merged into one box.
  const parts = (await mapSource(page, "sweep-merged")).features.map((f) => f.properties?.parts as number);
  expect(parts.filter((p) => p >= 2).length).toBeGreaterThan(10);

  // The merged layer follows the merge settings: at IoU 1 a roof's two views, a fraction of a pixel apart, stay two.
  await page.getByTestId("sweep-iou").fill("1");
  await expect.poll(async () => (await mapSource(page, "sweep-merged")).features.length).toBeGreaterThan(roofs.length);
  await page.getByTestId("sweep-iou").fill("0.5");
  await page.getByTestId("sweep-merge-method").selectOption("wbf");
  await expect.poll(async () => (await mapSource(page, "sweep-merged")).features.length).toBe(roofs.length);

  // Exports: the objects with their label, chips and answers; counts; the records, one per chip after the header.
  const geojson = JSON.parse(
    readFileSync(await (await download(page, () => page.getByTestId("sweep-export-geojson").click())).path(), "utf8"),
  );
  expect(geojson.features).toHaveLength(roofs.length);
  expect(geojson.features[0].properties).toMatchObject({
    label: "roof",
    chips: [expect.objectContaining({ answer: expect.stringContaining("bbox_2d") })],
  });
  const csv = readFileSync(
    await (await download(page, () => page.getByTestId("sweep-export-csv").click())).path(),
    "utf8",
  );
  expect(csv).toBe(`label,count\nroof,${roofs.length}\n`);
  const jsonl = readFileSync(
    await (await download(page, () => page.getByTestId("sweep-export-jsonl").click())).path(),
    "utf8",
  );
  const lines = jsonl
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => l.kind)).toEqual(["sweep", ...Array(9).fill("chip")]);
  expect(lines[1]).toMatchObject({
    model: "scripted answerer (test build)",
    status: "done",
    prompt: expect.stringContaining("[grounding] Detect every roof"),
  });

  // The sweep is listed in the history.
  await expect(page.getByTestId("sweep-history-item")).toHaveCount(1);
  await expect(page.getByTestId("sweep-history-item")).toContainText("9 of 9 chips");
});

test("a tile server failing mid-sweep: its chips are marked failed with the reason, the sweep goes on, and they can be retried", async ({
  page,
}) => {
  await page.goto("/");
  await page.waitForFunction(() => (window as unknown as Hooks).__geozero?.map() != null);
  // Tiles with an odd column answer HTTP 500 until the server heals.
  await page.getByTestId("custom-url").fill(`${tiles.url}/failing/{z}/{x}/{y}.png`);
  await page.getByTestId("custom-add").click();
  // Four tiles of zoom 10 side by side (columns 512–515): four chips of 256 px, one a tile.
  const [west, north] = worldPixelToLngLat([512 * 256, 300 * 256], 10);
  const [east, south] = worldPixelToLngLat([516 * 256, 301 * 256], 10);
  await page.evaluate(
    (bbox) => {
      const hooks = (window as unknown as Hooks).__geozero;
      hooks.store.getState().setRectangle(bbox);
      hooks.store.getState().setCropZoom(10);
      hooks.scriptSweepAnswers([], "roof");
    },
    { west, south, east, north },
  );
  // Grounding takes the chosen model's box convention (pixels for GeoZero), the scripted answerer's: pick it once the
  // model list has loaded, or it falls back to relative-1000 and no cut roof joins.
  await expect(page.getByTestId("model-select")).toHaveValue(/geozero/);
  await page.getByTestId("task").selectOption("grounding");
  await page.getByTestId("grounding-target").fill("roof");
  await page.getByTestId("sweep-plan-toggle").check();
  await page.getByTestId("sweep-chip-size").fill("256");
  await page.getByTestId("sweep-overlap").fill("0");
  await expect(page.getByTestId("sweep-plan")).toContainText(
    "4 chips (4 × 1) of 256 px, 0 % overlap (0 px), at zoom 10",
  );
  await page.getByTestId("sweep-run").click();

  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "finished", { timeout: 60_000 });
  await expect(page.getByTestId("sweep-progress-text")).toContainText("4 / 4 chips · 2 failed");
  await page.getByTestId("sweep-failed").locator("summary").click();
  await expect(page.getByTestId("sweep-failed")).toContainText("r0c1: ");
  await expect(page.getByTestId("sweep-failed")).toContainText("HTTP 500");
  await expect
    .poll(async () => (await mapSource(page, "sweep-grid")).features.map((f) => f.properties?.state))
    .toEqual(["done", "failed", "done", "failed"]);

  tiles.heal();
  await page.getByTestId("sweep-retry").click();
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "finished", { timeout: 60_000 });
  await expect(page.getByTestId("sweep-progress-text")).toHaveText(/^4 \/ 4 chips( · [\d.]+ chips\/min)?$/);
  await expect
    .poll(async () => (await mapSource(page, "sweep-grid")).features.map((f) => f.properties?.state))
    .toEqual(["done", "done", "done", "done"]);
});
