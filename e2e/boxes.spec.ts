import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { type GeoReference, pixelToLngLat } from "../src/geo/georef";
import type { useAppStore } from "../src/state/store";
import { cropExactly } from "./support/model";

type Hooks = {
  __geozero: {
    store: typeof useAppStore;
    replayAnswer(question: string, pieces: string[]): void;
    map(): { map: { getSource(id: string): { serialize(): { data: GeoJSON.FeatureCollection } } } } | null;
  };
};

// A recorded grounding answer in GeoZero's "Type1" shape with two valid boxes (Qwen3-VL JSON and a plain list, in
// pixels of the 448 × 416 image the model saw) and one malformed list.
const RECORDED =
  'Two roofs stand out near the road. <answer>{"bbox_2d": [32, 64, 96, 128], "label": "roof"} and [200, 100, 260, 180]; unsure about [10, 20]</answer>';

test("a recorded grounding answer streams through the answer path: boxes highlighted, drawn on the map and exported", async ({
  page,
}) => {
  await page.goto("/");
  await cropExactly(page);
  const pieces = RECORDED.match(/[\s\S]{1,3}/g) ?? [];
  await page.evaluate((p) => (window as unknown as Hooks).__geozero.replayAnswer("Where are the roofs?", p), pieces);

  await expect(page.getByTestId("think-text")).toHaveText("Two roofs stand out near the road.");
  await expect(page.getByTestId("box-0")).toHaveText("[32, 64, 96, 128]");
  await expect(page.getByTestId("box-1")).toHaveText("[200, 100, 260, 180]");
  await expect(page.getByTestId("box-warnings")).toContainText("Box 3 dropped: a box needs 4 numbers");

  const georef = (await page.evaluate(
    () => (window as unknown as Hooks).__geozero.store.getState().lastImage?.image.georef,
  )) as GeoReference;
  const expectedRing = (x1: number, y1: number, x2: number, y2: number) =>
    [
      [x1, y2],
      [x2, y2],
      [x2, y1],
      [x1, y1],
      [x1, y2],
    ].map(([x, y]) => pixelToLngLat(georef, [x, y]));

  const drawn = await page.evaluate(
    () => (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes").serialize().data,
  );
  expect(drawn?.features.map((f) => (f.properties as { label: string | null }).label)).toEqual(["roof", null]);
  const rings = drawn?.features.map((f) => (f.geometry as GeoJSON.Polygon).coordinates[0]) ?? [];
  const expected = [expectedRing(32, 64, 96, 128), expectedRing(200, 100, 260, 180)];
  rings.forEach((ring, i) => {
    ring.forEach(([lng, lat], j) => {
      expect(lng).toBeCloseTo(expected[i][j][0], 9);
      expect(lat).toBeCloseTo(expected[i][j][1], 9);
    });
  });

  const download = page.waitForEvent("download");
  await page.getByTestId("export-geojson").click();
  const file = await (await download).path();
  const exported = JSON.parse(readFileSync(file, "utf8")) as GeoJSON.FeatureCollection;
  expect(exported.features).toHaveLength(2);
  expect(exported.features[0].properties).toMatchObject({
    label: "roof",
    question: "Where are the roofs?",
    pixels: [32, 64, 96, 128],
  });
  expect((exported.features[1].geometry as GeoJSON.Polygon).coordinates[0]).toEqual(rings[1]);

  await page.getByTestId("box-convention").selectOption("relative-1000");
  await expect(page.getByTestId("box-warnings")).toContainText("Box 3 dropped");
  const relative = await page.evaluate(
    () => (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes").serialize().data,
  );
  const [lng] = ((relative as GeoJSON.FeatureCollection).features[0].geometry as GeoJSON.Polygon).coordinates[0][0];
  expect(lng).toBeCloseTo(pixelToLngLat(georef, [(32 * 448) / 1000, 0])[0], 9);
});
