import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import type { useAppStore } from "../src/state/store";
import { cropExactly } from "./support/model";

type Hooks = {
  __geozero: {
    store: typeof useAppStore;
    replayAnswer(question: string, pieces: string[]): void;
    map(): { map: { getSource(id: string): { serialize(): { data: GeoJSON.FeatureCollection } } } } | null;
  };
};

/**
 * The boxes' corners as longitude/latitude, worked out by hand for `cropExactly`'s fixed selection, independently of
 * the app's georeferencing code. The selection's top-left is (9.999° E, 48.006° N) rounded to a whole pixel at zoom
 * 17, where the world is 256 · 2^17 = 33,554,432 px wide:
 *   x = (9.999 + 180) / 360 · 33,554,432 = 17,709,190.35 → 17,709,190
 *   y = (1/2 − ln((1 + sin 48.006°) / (1 − sin 48.006°)) / 4π) · 33,554,432 = 11,663,168.45 → 11,663,168
 * The model saw the 448 × 416 crop unresized, so a box corner (px, py) is world pixel (x + px, y + py), and
 *   lng = X / 33,554,432 · 360 − 180,   lat = atan(sinh(π · (1 − 2 · Y / 33,554,432))) in degrees.
 */
const CORNERS = {
  "[32, 64, 96, 128]": {
    west: 9.999339580536, // px 32
    east: 10.000026226044, // px 96
    north: 48.005543841616, // py 64
    south: 48.005084433421, // py 128
  },
  "[200, 100, 260, 180]": {
    west: 10.001142024994, // px 200
    east: 10.001785755157, // px 260
    north: 48.00528542501, // py 100
    south: 48.004711161249, // py 180
  },
};
/** px 14.336 (32 ‰ of 448 px) by the same formula, for the box read as 0–1000 relative. */
const RELATIVE_WEST = 9.999150066376;

/** Expects a closed, counter-clockwise (RFC 7946) ring of exactly the four corners of `box`, in any order. */
function expectRingOf(ring: number[][], box: { west: number; east: number; north: number; south: number }): void {
  expect(ring).toHaveLength(5);
  expect(ring[4]).toEqual(ring[0]);
  const expected = [
    [box.west, box.south],
    [box.east, box.south],
    [box.east, box.north],
    [box.west, box.north],
  ];
  for (const [lng, lat] of expected) {
    const matches = ring.slice(0, 4).filter(([x, y]) => Math.abs(x - lng) < 5e-10 && Math.abs(y - lat) < 5e-10);
    expect(matches, `corner ${lng}, ${lat} in ${JSON.stringify(ring)}`).toHaveLength(1);
  }
  const doubleArea = ring.slice(0, 4).reduce((sum, [x, y], i) => sum + x * ring[i + 1][1] - ring[i + 1][0] * y, 0);
  expect(doubleArea).toBeGreaterThan(0);
}

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

  const drawn = await page.evaluate(
    () => (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes").serialize().data,
  );
  expect(drawn?.features.map((f) => (f.properties as { label: string | null }).label)).toEqual(["roof", null]);
  const rings = drawn?.features.map((f) => (f.geometry as GeoJSON.Polygon).coordinates[0]) ?? [];
  expect(rings).toHaveLength(2);
  expectRingOf(rings[0], CORNERS["[32, 64, 96, 128]"]);
  expectRingOf(rings[1], CORNERS["[200, 100, 260, 180]"]);

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
  const westOfFirstBox = async () => {
    const relative = await page.evaluate(
      () => (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes").serialize().data,
    );
    const ring = ((relative as GeoJSON.FeatureCollection).features[0].geometry as GeoJSON.Polygon).coordinates[0];
    return Math.min(...ring.map(([lng]) => lng));
  };
  await expect.poll(async () => Math.abs((await westOfFirstBox()) - RELATIVE_WEST)).toBeLessThan(5e-10);
});
