import { mkdirSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import sharp from "sharp";
import { cropExactly } from "./support/model";

type Hooks = {
  __geozero: {
    replayAnswer(question: string, pieces: string[], task?: string): Promise<void>;
    map(): {
      whenReady(): Promise<void>;
      map: {
        loaded(): boolean;
        project(lngLat: [number, number]): { x: number; y: number };
        getSource(id: string): { serialize(): { data: GeoJSON.FeatureCollection } } | undefined;
      };
    } | null;
  };
};

const GROUNDING =
  'Two roofs by the road. <answer>{"bbox_2d": [32, 64, 96, 128], "label": "roof"} [200, 100, 260, 180]</answer>';

async function waitForMap(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as Hooks).__geozero?.map()?.map.loaded() === true);
}

async function boxOf(page: Page, testId: string) {
  const found = await page.getByTestId(testId).boundingBox();
  if (!found) throw new Error(`${testId} has no bounding box`);
  return found;
}

/** The answer's boxes drawn on the map, as screen rectangles in page coordinates. */
async function drawnBoxesOnScreen(
  page: Page,
): Promise<Array<{ left: number; top: number; right: number; bottom: number }>> {
  return page.evaluate(() => {
    const view = (window as unknown as Hooks).__geozero.map()?.map;
    const data = view?.getSource("answer-boxes")?.serialize().data;
    const canvas = document.querySelector('[data-testid="map"]')?.getBoundingClientRect();
    if (!view || !data || !canvas) return [];
    return data.features.map((f) => {
      const ring = (f.geometry as GeoJSON.Polygon).coordinates[0].map((c) => view.project(c as [number, number]));
      const xs = ring.map((p) => p.x + canvas.left);
      const ys = ring.map((p) => p.y + canvas.top);
      return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
    });
  });
}

/** Saves a screenshot for the README, as a palette PNG so it stays small. */
async function saveReadmeScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync("docs", { recursive: true });
  const png = await page.screenshot();
  await sharp(png).png({ palette: true, colours: 64, dither: 0, effort: 10 }).toFile(`docs/${name}`);
}

test.describe("on a phone (390 × 844, touch)", () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test("the map fills the width; a rectangle drawn by touch is cropped and asked about, the answer's boxes beside it", async ({
    page,
  }) => {
    await page.goto("/");
    await waitForMap(page);
    // The map spans the screen's width and most of its height; the steps sit in a sheet under it.
    let map = await boxOf(page, "map");
    expect(map.width).toBe(390);
    expect(map.height).toBeGreaterThan(844 * 0.45);
    await page.getByTestId("step-tab-map").tap();
    map = await boxOf(page, "map");
    expect(map.height).toBeGreaterThan(844 * 0.75);

    // Draw by touch: two taps span the rectangle.
    await page.getByTestId("step-tab-selection").tap();
    await page.getByTestId("tool-rectangle").tap();
    map = await boxOf(page, "map");
    await page.touchscreen.tap(map.x + 90, map.y + 90);
    await page.touchscreen.tap(map.x + 300, map.y + 260);
    await expect(page.getByTestId("selection-size")).toHaveText(/^\d+ × \d+ px$/);
    await page.getByTestId("crop-button").tap();
    await expect(page.getByTestId("crop-preview")).toBeVisible({ timeout: 30_000 });

    // Ask with the tiny demo model on WASM.
    await page.getByTestId("step-tab-ask").tap();
    await page.getByTestId("device-select").selectOption("wasm");
    await page.getByTestId("load-model").tap();
    await expect(page.getByTestId("model-ready")).toContainText("ready on wasm", { timeout: 170_000 });
    await page.getByTestId("decoding").selectOption("greedy");
    await page.getByTestId("max-new-tokens").fill("4");
    await page.getByTestId("ask").tap();
    await expect(page.getByTestId("run-stats")).toHaveText(/^Done/, { timeout: 170_000 });

    // A grounding answer through the same path: its boxes on the map, its text in the sheet, both on screen at once.
    await page.evaluate(
      ([text]) =>
        (window as unknown as Hooks).__geozero.replayAnswer("Where are the roofs?", text.match(/[\s\S]{1,4}/g) ?? []),
      [GROUNDING] as const,
    );
    await expect(page.getByTestId("box-0")).toBeVisible();
    await page.getByTestId("answer-text").scrollIntoViewIfNeeded();
    const answer = await boxOf(page, "answer-text");
    map = await boxOf(page, "map");
    expect(answer.y).toBeGreaterThanOrEqual(map.y + map.height - 1);
    expect(answer.y).toBeLessThan(844);
    const boxes = await drawnBoxesOnScreen(page);
    expect(boxes).toHaveLength(2);
    for (const b of boxes) {
      expect(b.left).toBeGreaterThanOrEqual(map.x);
      expect(b.right).toBeLessThanOrEqual(map.x + map.width);
      expect(b.top).toBeGreaterThanOrEqual(map.y);
      expect(b.bottom).toBeLessThanOrEqual(map.y + map.height);
    }
    await saveReadmeScreenshot(page, "screenshot-phone.png");
  });

  test("tiles are picked by touch", async ({ page }) => {
    await page.goto("/");
    await waitForMap(page);
    await page.getByTestId("step-tab-selection").tap();
    await page.getByTestId("tool-tiles").tap();
    await page.getByTestId("grid-zoom").fill("16");
    const map = await boxOf(page, "map");
    await page.touchscreen.tap(map.x + 120, map.y + map.height / 2);
    await expect(page.getByTestId("selection-size")).toHaveText(/^\d+ × \d+ px$/);
    await page.getByTestId("crop-zoom").fill("16");
    await expect(page.getByTestId("selection-size")).toHaveText("256 × 256 px");
  });
});

test.describe("on a 1280 × 720 laptop", () => {
  test.use({ viewport: { width: 1280, height: 720 } });

  test("the Ask step is one click away however long the history, and lies above it", async ({ page }) => {
    await page.goto("/");
    await waitForMap(page);
    await cropExactly(page);
    for (let i = 0; i < 10; i++) {
      await page.evaluate(
        (n) => (window as unknown as Hooks).__geozero.replayAnswer(`Question ${n}?`, [`<answer>Answer ${n}</answer>`]),
        i,
      );
    }
    await page.evaluate(
      ([text]) => (window as unknown as Hooks).__geozero.replayAnswer("Where are the roofs?", [text]),
      [GROUNDING] as const,
    );
    await expect(page.getByTestId("history-item")).toHaveCount(11);
    await page.getByTestId("step-tab-ask").click();
    const ask = await boxOf(page, "ask");
    expect(ask.y).toBeGreaterThanOrEqual(0);
    await page.screenshot({ path: "test-results/desk-probe.png" });
    expect(ask.y + ask.height).toBeLessThanOrEqual(720);
    const history = await page.locator("#step-history").boundingBox();
    expect(history?.y ?? 0).toBeGreaterThan(ask.y);
    await saveReadmeScreenshot(page, "screenshot-1280x720.png");
  });
});
