import { readFileSync } from "node:fs";
import { type Download, expect, type Page, test } from "@playwright/test";
import { PNG } from "pngjs";
import type { GeoReference } from "../src/geo/georef";
import type { BBox } from "../src/geo/tiles";
import type { useAppStore } from "../src/state/store";
import { cropExactly, loadModel, selectExactly, startAsking, waitForRunEnd } from "./support/model";

type Hooks = {
  __geozero: {
    store: typeof useAppStore;
    replayAnswer(question: string, pieces: string[], task?: string): Promise<void>;
    map(): {
      whenReady(): Promise<void>;
      map: {
        loaded(): boolean;
        jumpTo(o: { center: [number, number]; zoom: number }): void;
        getCenter(): { lng: number; lat: number };
        getZoom(): number;
        getSource(id: string): { serialize(): { data: GeoJSON.FeatureCollection } };
      };
    } | null;
  };
};

const hooks = (page: Page) => page.evaluate(() => Boolean((window as unknown as Hooks).__geozero));

/** Waits until the map view exists and its layers are set up. */
async function waitForMap(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as Hooks).__geozero?.map() != null);
  await page.evaluate(() => (window as unknown as Hooks).__geozero.map()?.whenReady());
}

const RECORDED =
  'The tanks sit by the road. <answer>{"bbox_2d": [32, 64, 96, 128], "label": "tank"} [200, 100, 260, 180]</answer>';

/** Clicks and collects the downloads it starts: file name → path. */
async function downloads(page: Page, click: () => Promise<void>, count: number): Promise<Map<string, string>> {
  const started: Download[] = [];
  const collect = (download: Download) => started.push(download);
  page.on("download", collect);
  await click();
  await expect.poll(() => started.length).toBe(count);
  page.off("download", collect);
  const files = new Map<string, string>();
  for (const download of started) files.set(download.suggestedFilename(), await download.path());
  return files;
}

test("a task's result is kept across a reload: shown again on the map, exported as PNG + world file, deleted", async ({
  page,
}) => {
  await page.goto("/");
  expect(await hooks(page)).toBe(true);
  await waitForMap(page);
  await cropExactly(page);
  const georef = (await page.evaluate(
    () => (window as unknown as Hooks).__geozero.store.getState().lastImage?.image.georef,
  )) as GeoReference;
  const cropBBox = (await page.evaluate(
    () => (window as unknown as Hooks).__geozero.store.getState().lastImage?.image.bbox,
  )) as BBox;

  // Pick a task: its instruction in GeoZero's shape, grounding's decoding and box convention, system prompt shown.
  await expect(page.getByTestId("system-prompt")).toBeChecked();
  await expect(page.getByTestId("system-prompt-text")).toHaveText(
    "When answering, first describe your reasoning or visual observations in natural language, and then provide the final answer enclosed in <answer></answer>.",
  );
  await page.getByTestId("task").selectOption("scene_cls");
  await page.getByTestId("class-list").selectOption("nasc-tg2");
  await expect(page.getByTestId("class-count")).toHaveText("10 classes");
  await expect(page.getByTestId("decoding")).toHaveValue("greedy");
  await page.getByTestId("task").selectOption("grounding");
  await expect(page.getByTestId("decoding")).toHaveValue("sample");
  await expect(page.getByTestId("box-convention")).toHaveCount(0);
  await page.getByTestId("grounding-target").fill("storage tank");
  await page.getByTestId("grounding-several").check();
  await expect(page.getByTestId("instruction")).toHaveText(
    "Sends: [grounding] Detect every storage tank in the image. Output the bounding box of each as [x1, y1, x2, y2].",
  );

  // A real result from the tiny model, then a recorded grounding answer with boxes through the same path.
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await startAsking(page, { decoding: "greedy", maxNewTokens: 6 });
  await waitForRunEnd(page);
  await expect(page.getByTestId("run-stats")).toContainText("Done");
  await expect(page.getByTestId("box-convention")).toHaveValue("pixels");
  await expect(page.getByTestId("history-item")).toHaveCount(1);
  const question = "Where are the storage tanks?";
  await page.evaluate(
    ([q, text]) => (window as unknown as Hooks).__geozero.replayAnswer(q, text.match(/[\s\S]{1,3}/g) ?? []),
    [question, RECORDED] as const,
  );
  await expect(page.getByTestId("history-item")).toHaveCount(2);

  await page.reload();
  await waitForMap(page);
  const items = page.getByTestId("history-item");
  await expect(items).toHaveCount(2);
  const replayed = items.first();
  await expect(replayed.getByTestId("history-question")).toHaveText(question);
  await expect(replayed.getByTestId("history-answer")).toContainText('"label": "tank"');
  await expect(replayed.getByTestId("history-think")).toHaveText("The tanks sit by the road.");
  await expect(items.nth(1).getByTestId("history-question")).toHaveText(/^\[grounding\] Detect every storage tank/);
  await expect(items.nth(1)).toContainText("geozero-tiny");

  // Show again: the crop outlined as the selection, the boxes drawn where the crop's georeference puts them.
  await replayed.getByTestId("history-show").click();
  const selection = await page.evaluate(() => (window as unknown as Hooks).__geozero.store.getState().selection);
  expect(selection).toEqual({ kind: "rectangle", bbox: cropBBox });
  await expect(page.getByTestId("selection-size")).toHaveText("448 × 416 px");
  const drawn = await page.evaluate(
    () => (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes").serialize().data,
  );
  if (!drawn) throw new Error("the map has no answer-boxes source");
  expect(drawn.features).toHaveLength(2);
  expect(drawn.features[0].properties).toMatchObject({ label: "tank", question, model: expect.any(String) });
  const [x0, dx, , y0, , dy] = georef.transform;
  const [lng, lat] = (drawn.features[1].geometry as GeoJSON.Polygon).coordinates[0][3];
  // The corner (200, 100) of box 2 through the affine transform, in Web Mercator metres back to degrees.
  const mercX = x0 + 200 * dx;
  const mercY = y0 + 100 * dy;
  expect(lng).toBeCloseTo((mercX / 6378137) * (180 / Math.PI), 9);
  expect(lat).toBeCloseTo((2 * Math.atan(Math.exp(mercY / 6378137)) - Math.PI / 2) * (180 / Math.PI), 9);

  // GeoJSON export with question, answer and model.
  const geojson = await downloads(page, () => replayed.getByTestId("history-export-geojson").click(), 1);
  const exported = JSON.parse(readFileSync([...geojson.values()][0], "utf8")) as GeoJSON.FeatureCollection;
  expect(exported.features).toHaveLength(2);
  expect(exported.features[0].properties).toMatchObject({ question, answer: expect.stringContaining("tank") });

  // PNG + world file + .prj: the PNG is the crop, the world file the crop's georeference at pixel centres, the .prj
  // EPSG:3857's WKT.
  const files = await downloads(page, () => replayed.getByTestId("history-export-png").click(), 3);
  const prjPath = [...files].find(([name]) => name.endsWith(".prj"))?.[1];
  expect(prjPath && readFileSync(prjPath, "utf8")).toMatch(
    /^PROJCS\["WGS 84 \/ Pseudo-Mercator".*AUTHORITY\["EPSG","3857"\]\]\n$/,
  );
  const pngPath = [...files].find(([name]) => name.endsWith(".png"))?.[1];
  const pgwPath = [...files].find(([name]) => name.endsWith(".pgw"))?.[1];
  if (!pngPath || !pgwPath) throw new Error(`expected a .png and a .pgw, got ${[...files.keys()].join(", ")}`);
  const png = PNG.sync.read(readFileSync(pngPath));
  expect([png.width, png.height]).toEqual([448, 416]);
  const world = readFileSync(pgwPath, "utf8").trim().split("\n").map(Number);
  expect(world).toHaveLength(6);
  expect(world[0]).toBeCloseTo(dx, 8);
  expect(world[1]).toBe(0);
  expect(world[2]).toBe(0);
  expect(world[3]).toBeCloseTo(dy, 8);
  expect(world[4]).toBeCloseTo(x0 + dx / 2, 6);
  expect(world[5]).toBeCloseTo(y0 + dy / 2, 6);
  expect(dx).toBeCloseTo((2 * Math.PI * 6378137) / (256 * 2 ** 17), 8);

  // Delete: gone now and after a reload.
  await replayed.getByTestId("history-delete").click();
  await expect(items).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId("history-item")).toHaveCount(1);
  await expect(page.getByTestId("history-question")).toHaveText(/^\[grounding\]/);
});

test("the shareable URL restores the view and the selection after a reload; snap gives the model's size", async ({
  page,
}) => {
  await page.goto("/");
  await waitForMap(page);
  await page.evaluate(() =>
    (window as unknown as Hooks).__geozero.map()?.map.jumpTo({ center: [10.001, 48.003], zoom: 15.25 }),
  );
  await selectExactly(page, [9.999, 48.004], 470, 331);
  await expect(page.getByTestId("selection-size")).toHaveText("470 × 331 px");
  await page.getByTestId("snap-to-model").click();
  await expect(page.getByTestId("selection-size")).toHaveText("480 × 320 px");
  await expect(page.getByTestId("snap-to-model")).toBeDisabled();
  await expect(page).toHaveURL(/#map=15\.25\/48\.003000\/10\.001000&bbox=[-\d.,]+&cz=17&source=sample$/);

  const before = await page.evaluate(() => (window as unknown as Hooks).__geozero.store.getState().selection);
  await page.reload();
  await waitForMap(page);
  const after = await page.evaluate(() => {
    const { store, map } = (window as unknown as Hooks).__geozero;
    const view = map()?.map;
    return {
      selection: store.getState().selection,
      cropZoom: store.getState().cropZoom,
      center: view?.getCenter(),
      zoom: view?.getZoom(),
    };
  });
  expect(after.cropZoom).toBe(17);
  expect(after.zoom).toBeCloseTo(15.25, 6);
  expect(after.center?.lng).toBeCloseTo(10.001, 6);
  expect(after.center?.lat).toBeCloseTo(48.003, 6);
  if (before.kind !== "rectangle" || after.selection.kind !== "rectangle") throw new Error("no rectangle");
  for (const edge of ["west", "south", "east", "north"] as const) {
    expect(after.selection.bbox[edge]).toBeCloseTo(before.bbox[edge], 8);
  }
  await expect(page.getByTestId("selection-size")).toHaveText("480 × 320 px");

  await page.goto("about:blank");
  await page.goto("/#map=oops&bbox=1,2&cz=banana");
  await waitForMap(page);
  await expect(page.getByTestId("bbox-editor")).toHaveCount(0);
});
