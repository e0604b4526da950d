import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { iou } from "../src/eval/metrics/grounding";
import { type GeoReference, lngLatToPixel, pixelToLngLat } from "../src/geo/georef";
import type { useAppStore } from "../src/state/store";
import { downloaded, openFiles, openInspect, SET, setRecords } from "./support/inspect";
import { cropExactly } from "./support/model";

type Hooks = {
  __geozero: {
    store: typeof useAppStore;
    replayAnswer(question: string, pieces: string[]): Promise<void>;
    map(): {
      map: {
        project(lngLat: [number, number]): { x: number; y: number };
        getBounds(): { getWest(): number; getEast(): number; getSouth(): number; getNorth(): number };
        getZoom(): number;
        getSource(id: string): { serialize(): { data: GeoJSON.FeatureCollection } };
      };
    } | null;
  };
};

const RECORDED = 'Two roofs. <answer>{"bbox_2d": [32, 64, 96, 128], "label": "roof"} and [200, 100, 260, 180]</answer>';

async function georefOf(page: Page): Promise<GeoReference> {
  return (await page.evaluate(
    () => (window as unknown as Hooks).__geozero.store.getState().lastImage?.image.georef,
  )) as GeoReference;
}

/** Screen position of a crop pixel on the map. */
async function screenOf(page: Page, georef: GeoReference, pixel: [number, number]): Promise<[number, number]> {
  const lngLat = pixelToLngLat(georef, pixel);
  const point = await page.evaluate((p) => (window as unknown as Hooks).__geozero.map()?.map.project(p), lngLat);
  const box = await page.getByTestId("map").boundingBox();
  if (!point || !box) throw new Error("no map");
  return [box.x + point.x, box.y + point.y];
}

test("a reference box drawn on the crop gives each predicted box its IoU, in the answer, on the map and in the GeoJSON", async ({
  page,
}) => {
  await page.goto("/");
  await cropExactly(page);
  const pieces = RECORDED.match(/[\s\S]{1,4}/g) ?? [];
  await page.evaluate((p) => (window as unknown as Hooks).__geozero.replayAnswer("Where are the roofs?", p), pieces);
  await expect(page.getByTestId("box-1")).toBeVisible();
  const georef = await georefOf(page);

  await page.getByTestId("draw-reference").click();
  const from = await screenOf(page, georef, [40, 70]);
  const to = await screenOf(page, georef, [100, 130]);
  await page.mouse.click(...from);
  await page.mouse.move(to[0], to[1], { steps: 8 });
  await page.mouse.click(...to);
  await expect(page.getByTestId("reference-pixels")).toBeVisible();

  const path = await downloaded(page, () => page.getByTestId("export-geojson").click());
  const exported = JSON.parse(readFileSync(path, "utf8")) as GeoJSON.FeatureCollection;
  const reference = exported.features.find((f) => f.properties?.role === "reference");
  if (!reference) throw new Error("the export has no reference box");
  const predictions = exported.features.filter((f) => f.properties?.role === "prediction");
  const pixels = reference.properties?.pixels as [number, number, number, number];
  // Drawn where the pointer went (within a pixel: screen pixels are coarser than crop pixels here).
  for (const [i, v] of [40, 70, 100, 130].entries()) expect(Math.abs(pixels[i] - v)).toBeLessThan(1.5);
  const ring = (reference.geometry as GeoJSON.Polygon).coordinates[0];
  const [x, y] = lngLatToPixel(georef, ring[3] as [number, number]);
  expect(x).toBeCloseTo(pixels[0], 6);
  expect(y).toBeCloseTo(pixels[1], 6);
  const expected = predictions.map((f) => iou(pixels, f.properties?.pixels));
  expect(predictions.map((f) => f.properties?.iou)).toEqual(expected);
  expect(expected[0]).toBeGreaterThan(0.5);
  expect(expected[1]).toBe(0);

  await expect(page.getByTestId("box-iou-0")).toHaveText(` IoU ${expected[0].toFixed(2)}`);
  await expect(page.getByTestId("box-iou-1")).toHaveText(" IoU 0.00");
  await expect(page.getByTestId("map-label")).toHaveText([`IoU ${expected[0].toFixed(2)}`, "IoU 0.00"]);
  const drawn = await page.evaluate(
    () => (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes").serialize().data,
  );
  expect(drawn?.features.map((f) => f.properties?.role)).toEqual(["prediction", "prediction", "reference"]);

  await page.getByTestId("clear-reference").click();
  await expect(page.getByTestId("map-label")).toHaveCount(0);
  await expect(page.getByTestId("box-iou-0")).toHaveCount(0);
});

test("a georeferenced sample is shown on the map with its boxes, and exported as GeoJSON with reference, prediction and IoU", async ({
  page,
}) => {
  await openInspect(page);
  await openFiles(page, { results: SET.results, images: SET.images });
  const record = setRecords().find((r) => r.image === "fields-east.png" && (r.score ?? 0) > 0.5);
  if (!record) throw new Error("the set lacks a fields-east hit");
  await page.locator(`[data-testid=sample-row][data-id="${record.id}"]`).click();
  const path = await downloaded(page, () => page.getByTestId("sample-geojson").click());
  const exported = JSON.parse(readFileSync(path, "utf8")) as GeoJSON.FeatureCollection;
  expect(exported.features.map((f) => f.properties?.role)).toEqual(["prediction", "reference"]);
  expect(exported.features[0].properties).toMatchObject({ iou: record.score, pixels: record.predicted_box });

  await page.getByTestId("sample-on-map").click();
  await expect(page.getByTestId("map")).toBeVisible();
  await expect(page.getByTestId("tab-map")).toHaveAttribute("aria-pressed", "true");
  const [west, north] = (exported.features[1].geometry as GeoJSON.Polygon).coordinates[0][3];
  await expect
    .poll(async () => {
      const b = await page.evaluate(() => {
        const map = (window as unknown as Hooks).__geozero.map()?.map;
        const bounds = map?.getBounds();
        return (
          bounds && [bounds.getWest(), bounds.getEast(), bounds.getSouth(), bounds.getNorth(), map?.getZoom() ?? 0]
        );
      });
      // Fitted to the 448 × 416 px crop at zoom 17: far closer than the default view (zoom 14.5).
      return b !== undefined && b[0] < west && west < b[1] && b[2] < north && north < b[3] && b[4] > 16;
    })
    .toBe(true);
  await expect
    .poll(async () => {
      const drawn = await page.evaluate(
        () => (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes").serialize().data,
      );
      return drawn?.features.map((f) => f.properties?.role);
    })
    .toEqual(["prediction", "reference"]);
});
