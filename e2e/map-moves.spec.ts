import { expect, type Page, test } from "@playwright/test";
import { type GeoReference, pixelToLngLat } from "../src/geo/georef";
import type { BBox } from "../src/geo/tiles";
import type { useAppStore } from "../src/state/store";
import { cropExactly } from "./support/model";

type Hooks = {
  __geozero: {
    store: typeof useAppStore;
    replayAnswer(question: string, pieces: string[]): Promise<void>;
    map(): {
      whenReady(): Promise<void>;
      map: {
        jumpTo(o: { center: [number, number]; zoom: number }): void;
        getCenter(): { lng: number; lat: number };
        getZoom(): number;
        getBounds(): { getWest(): number; getEast(): number; getSouth(): number; getNorth(): number };
        project(lngLat: [number, number]): { x: number; y: number };
      };
    } | null;
  };
};

const RECORDED = 'Two roofs. <answer>{"bbox_2d": [32, 64, 96, 128], "label": "roof"} and [200, 100, 260, 180]</answer>';

interface View {
  center: [number, number];
  zoom: number;
  bounds: BBox;
}

async function mapView(page: Page): Promise<View> {
  return page.evaluate(() => {
    const map = (window as unknown as Hooks).__geozero.map()?.map;
    if (!map) throw new Error("no map");
    const c = map.getCenter();
    const b = map.getBounds();
    return {
      center: [c.lng, c.lat] as [number, number],
      zoom: map.getZoom(),
      bounds: { west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth() },
    };
  });
}

async function jumpAway(page: Page): Promise<View> {
  await page.evaluate(() =>
    (window as unknown as Hooks).__geozero.map()?.map.jumpTo({ center: [10.2, 48.2], zoom: 12 }),
  );
  return mapView(page);
}

const contains = (outer: BBox, inner: BBox) =>
  outer.west <= inner.west && outer.east >= inner.east && outer.south <= inner.south && outer.north >= inner.north;
const centreOf = (b: BBox): [number, number] => [(b.west + b.east) / 2, (b.south + b.north) / 2];

/** The crop-pixel rectangle as a lng/lat extent. */
function extentOf(georef: GeoReference, [x1, y1, x2, y2]: number[]): BBox {
  const [west, north] = pixelToLngLat(georef, [x1, y1]);
  const [east, south] = pixelToLngLat(georef, [x2, y2]);
  return { west, south, east, north };
}

/** Expects the view to frame `extent`: it lies inside the bounds, centred within a tenth of its size. */
async function expectFramed(page: Page, extent: BBox): Promise<View> {
  const [lng, lat] = centreOf(extent);
  const tolerance = Math.max(extent.east - extent.west, extent.north - extent.south) / 10;
  await expect
    .poll(async () => {
      const { center } = await mapView(page);
      return Math.max(Math.abs(center[0] - lng), Math.abs(center[1] - lat));
    })
    .toBeLessThan(tolerance);
  const after = await mapView(page);
  expect(contains(after.bounds, extent)).toBe(true);
  return after;
}

async function cropAndAnswer(page: Page): Promise<{ georef: GeoReference; crop: BBox }> {
  await page.goto("/");
  await page.waitForFunction(() => (window as unknown as Hooks).__geozero?.map() != null);
  await page.evaluate(() => (window as unknown as Hooks).__geozero.map()?.whenReady());
  await cropExactly(page);
  await page.evaluate(
    (p) => (window as unknown as Hooks).__geozero.replayAnswer("Where are the roofs?", p),
    RECORDED.match(/[\s\S]{1,4}/g) ?? [],
  );
  await expect(page.getByTestId("box-1")).toBeVisible();
  return page.evaluate(() => {
    const last = (window as unknown as Hooks).__geozero.store.getState().lastImage;
    if (!last) throw new Error("no crop");
    return { georef: last.image.georef, crop: last.image.bbox };
  });
}

test("Show on map in the history moves the view from far away to the kept result's crop", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const { crop } = await cropAndAnswer(page);
  await expect(page.getByTestId("history-item")).toHaveCount(1);

  const before = await jumpAway(page);
  expect(contains(before.bounds, crop)).toBe(false);
  await page.getByTestId("history-show").click();
  const after = await expectFramed(page, crop);
  expect(after.zoom).toBeGreaterThan(before.zoom + 3);
  expect(errors).toEqual([]);
});

test("clicking a box, in the answer or on the map, moves the view to it; hovering it on the map highlights its text", async ({
  page,
}) => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const { georef, crop } = await cropAndAnswer(page);
  const box0 = extentOf(georef, [32, 64, 96, 128]);
  const box1 = extentOf(georef, [200, 100, 260, 180]);

  // In the answer's text.
  const before = await jumpAway(page);
  expect(contains(before.bounds, box1)).toBe(false);
  await page.getByTestId("box-1").click();
  await expectFramed(page, box1);

  // On the map: with the crop in view, hover box 0, then click it.
  const [lng, lat] = centreOf(crop);
  await page.evaluate((c) => (window as unknown as Hooks).__geozero.map()?.map.jumpTo({ center: c, zoom: 15.5 }), [
    lng,
    lat,
  ] as [number, number]);
  const mapBox = await page.getByTestId("map").boundingBox();
  const point = await page.evaluate(
    (p) => (window as unknown as Hooks).__geozero.map()?.map.project(p),
    centreOf(box0),
  );
  if (!mapBox || !point) throw new Error("no map");
  await expect(page.getByTestId("box-0")).not.toHaveClass(/active/);
  await page.mouse.move(mapBox.x + point.x, mapBox.y + point.y, { steps: 4 });
  await expect(page.getByTestId("box-0")).toHaveClass(/active/);
  await expect(page.getByTestId("box-1")).not.toHaveClass(/active/);
  await page.mouse.move(mapBox.x + 20, mapBox.y + mapBox.height - 60, { steps: 4 });
  await expect(page.getByTestId("box-0")).not.toHaveClass(/active/);

  await page.mouse.click(mapBox.x + point.x, mapBox.y + point.y);
  const after = await expectFramed(page, box0);
  expect(after.zoom).toBeGreaterThan(15.5);
  expect(errors).toEqual([]);
});
