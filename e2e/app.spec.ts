import { mkdirSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { recordForeignRequests } from "./support/requests";
import { startTileServer, type TileServer } from "./support/tile-server";

let tiles: TileServer;
test.beforeAll(async () => {
  tiles = await startTileServer();
});
test.afterAll(async () => {
  await tiles.close();
});

async function mapBox(page: Page) {
  const box = await page.getByTestId("map").boundingBox();
  if (!box) throw new Error("the map has no bounding box");
  return box;
}

async function drawRectangle(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = await mapBox(page);
  await page.getByTestId("tool-rectangle").click();
  await page.mouse.click(box.x + from[0], box.y + from[1]);
  await page.mouse.move(box.x + to[0], box.y + to[1], { steps: 8 });
  await page.mouse.click(box.x + to[0], box.y + to[1]);
}

async function waitForMap(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const hooks = (window as unknown as { __geozero?: { map(): { map: { loaded(): boolean } } | null } }).__geozero;
    return hooks?.map()?.map.loaded() === true;
  });
}

test("the offline default loads, a drawn rectangle is cropped to the size shown, and nothing leaves the origin", async ({
  page,
  baseURL,
}) => {
  const foreign = recordForeignRequests(page, baseURL ?? "");
  await page.goto("/");
  await waitForMap(page);
  await expect(page.getByTestId("source-attribution")).toContainText("not real imagery");

  await drawRectangle(page, [300, 250], [520, 410]);
  const size = await page.getByTestId("selection-size").textContent();
  expect(size).toMatch(/^\d+ × \d+ px$/);
  await expect(page.getByTestId("selection-gsd")).toContainText("m/px");

  await page.getByTestId("crop-button").click();
  await expect(page.getByTestId("crop-preview")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("crop-preview-caption")).toContainText(size ?? "?");
  const natural = await page
    .getByTestId("crop-preview-image")
    .evaluate((img: HTMLImageElement) => `${img.naturalWidth} × ${img.naturalHeight} px`);
  expect(natural).toBe(size);

  mkdirSync("docs", { recursive: true });
  await page.getByTestId("crop-preview").scrollIntoViewIfNeeded();
  await page.screenshot({ path: "test-results/app.png" });
  await page.screenshot({ path: "docs/screenshot.png" });
  expect(foreign).toEqual([]);
});

test("tiles picked on the grid become the selection, and a selection over the limit is refused before any fetch", async ({
  page,
}) => {
  await page.goto("/");
  await waitForMap(page);
  await page.getByTestId("tool-tiles").click();
  await page.getByTestId("grid-zoom").fill("16");
  const box = await mapBox(page);
  await page.mouse.click(box.x + 400, box.y + 300);
  await page.mouse.click(box.x + 400 + 300, box.y + 300);
  await expect(page.getByTestId("selection-size")).toBeVisible();
  await page.getByTestId("crop-zoom").fill("16");
  const size = await page.getByTestId("selection-size").textContent();
  // Two tiles picked at zoom 16 and cropped at zoom 16 are whole tiles: 256 px high, a multiple of 256 wide.
  expect(size).toMatch(/^(512|768|1024) × 256 px$/);

  await page.getByTestId("crop-zoom").fill("22");
  await expect(page.getByTestId("selection-refused")).toContainText("over the 4096 × 4096 px limit");
  await expect(page.getByTestId("selection-refused")).toContainText("Lower the crop zoom to");
  await expect(page.getByTestId("crop-button")).toBeDisabled();

  await page.getByTestId("clear-selection").click();
  await expect(page.getByTestId("selection-size")).toHaveCount(0);
});

test("a custom source without CORS ends in an error naming it, and the selection and last crop survive", async ({
  page,
}) => {
  await page.goto("/");
  await waitForMap(page);
  await drawRectangle(page, [300, 250], [420, 340]);
  await page.getByTestId("crop-button").click();
  await expect(page.getByTestId("crop-preview")).toBeVisible({ timeout: 30_000 });

  await page.getByTestId("custom-url").fill("ftp://example.com/{z}/{x}/{y}.png");
  await page.getByTestId("custom-add").click();
  await expect(page.getByTestId("custom-error")).toContainText("Only http(s)");

  await page.getByTestId("custom-url").fill(`${tiles.url}/nocors/{z}/{x}/{y}.png`);
  await page.getByTestId("custom-add").click();
  await expect(page.getByTestId("source-error")).toBeVisible({ timeout: 15_000 });
  await page.getByTestId("crop-button").click();
  await expect(page.getByTestId("crop-error")).toContainText("does not allow cross-origin reads");
  await expect(page.getByTestId("crop-error")).toContainText("Custom tiles (127.0.0.1");
  await expect(page.getByTestId("selection-size")).toBeVisible();
  await expect(page.getByTestId("crop-preview")).toBeVisible();
});
