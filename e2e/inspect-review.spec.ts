import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, expect, type Page, test } from "@playwright/test";
import { chromiumArgs } from "../playwright.config";
import { browserExecutable } from "../tools/browser/find";
import { downloaded, openFiles, openInspect, SET, setRecords } from "./support/inspect";

const records = setRecords();
const tmp = () => mkdtempSync(join(tmpdir(), "inspect-review-"));
/** The file order of the set, which "file order" sorts by. */
const IDS = records.map((r) => r.id);

test("after a click on the threshold slider, a filter select or a bucket box, j/k and the arrow keys still step through samples", async ({
  page,
}) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  await page.getByTestId("sort").selectOption("index");
  await page.getByTestId("sample-row").first().click();
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[0]);

  await page.getByTestId("threshold").click();
  const threshold = await page.getByTestId("threshold-value").textContent();
  await page.keyboard.press("j");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[1]);
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[2]);
  await page.keyboard.press("ArrowLeft");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[1]);
  await expect(page.getByTestId("threshold-value")).toHaveText(threshold ?? "");

  await page.getByTestId("filter-parse").focus();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[2]);
  await expect(page.getByTestId("filter-parse")).toHaveValue("all");
  await page.keyboard.press("k");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[1]);

  await page.getByTestId("filter-bucket-S").click();
  await page.getByTestId("filter-bucket-S").click();
  await page.keyboard.press("j");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[2]);
  await page.keyboard.press("3");
  await expect(page.getByTestId("mark-ambiguous")).toHaveAttribute("aria-pressed", "true");

  // Text fields keep their keys.
  await page.getByTestId("filter-text").fill("");
  await page.getByTestId("filter-text").press("j");
  await expect(page.getByTestId("filter-text")).toHaveValue("j");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[2]);
});

test("a two-box answer is one miss everywhere: heading, image, text and GeoJSON carry no IoU, as GeoZero's rule reads it", async ({
  page,
}) => {
  // Sample 5 (fields-east.png, georeferenced) answered with two boxes, the first on the reference: GeoZero reads the
  // 10 numbers between the first [ and the last ] (8 coordinates, the 2 of each "bbox_2d"), not 4, so it is a miss
  // with no IoU, recorded by the evaluation as score 0 with no predicted box.
  const answer =
    '[{"bbox_2d": [100, 90, 330, 300], "label": "field"}, {"bbox_2d": [20, 20, 60, 60], "label": "field"}]';
  const twoBox = {
    ...records[5],
    answer,
    raw_output: `Two fields.\n<answer>${answer}</answer>`,
    score: 0,
    hit: false,
    predicted_box: null,
  };
  const path = join(tmp(), "results.jsonl");
  writeFileSync(path, records.map((r) => JSON.stringify(r.id === twoBox.id ? twoBox : r)).join("\n"));
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: path, images: SET.images });
  await page.locator(`[data-testid=sample-row][data-id="${twoBox.id}"]`).click();

  await expect(page.getByTestId("sample-outcome")).toContainText("no IoU · miss at 0.50");
  await expect(page.getByTestId("sample-outcome")).toContainText("malformed box");
  await expect(page.getByTestId("sample-parse-problem")).toContainText(
    'The answer holds 2 boxes; GeoZero\'s evaluation reads a single box: every number between the first [ and the last ] — 10 here, 2 of them not coordinates (such as the 2 of each "bbox_2d")',
  );
  await expect(page.getByTestId("overlay-box-0")).toHaveText("prediction · not scored");
  await expect(page.getByTestId("overlay-box-1")).toHaveText("prediction · not scored");
  await expect(page.getByTestId("answer-box-iou-0")).toHaveCount(0);
  await expect(page.locator(`[data-testid=sample-row][data-id="${twoBox.id}"] .row-iou`)).toHaveText("–");

  const exported = JSON.parse(
    readFileSync(await downloaded(page, () => page.getByTestId("sample-geojson").click()), "utf8"),
  ) as GeoJSON.FeatureCollection;
  const predictions = exported.features.filter((f) => f.properties?.role === "prediction");
  expect(predictions.map((f) => [f.properties?.iou, f.properties?.scored])).toEqual([
    [null, false],
    [null, false],
  ]);
  // 2 hits of 8 (samples 0 and 7) once sample 5 is this miss.
  await expect(page.getByTestId("summary-accuracy")).toHaveText("25.00");
});

/** The list's ids, in its order. */
async function listed(page: Page): Promise<string[]> {
  return page.getByTestId("sample-row").evaluateAll((els) => els.map((e) => e.getAttribute("data-id") ?? ""));
}

test("a histogram bar lists the samples of its IoU range, and the summary gives the shown samples' accuracy beside all", async ({
  page,
}) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  // The set's readable boxes by IoU (worked out by hand, see inspect.spec.ts): bar 0 holds sample 1 (0), bar 2
  // sample 3 (0.2676), bar 4 sample 6 (0.4169), bar 6 sample 7 (0.6665), bar 7 sample 0 (0.7925), bar 8 sample 5.
  const histogram = page.getByTestId("chart-histogram");
  await expect(histogram).toHaveAttribute("data-bars", /^(\d+,\d+ ){9}\d+,\d+$/);
  const bars = ((await histogram.getAttribute("data-bars")) ?? "").split(" ").map((p) => p.split(",").map(Number));
  const [x, y] = bars[8];
  const box = await histogram.boundingBox();
  if (!box) throw new Error("no histogram");
  // A click a few pixels inside the bar's top edge, as a user clicks it.
  await page.mouse.click(box.x + x, box.y + y + 4);
  await expect(page.getByTestId("filter-iou")).toHaveText("IoU 0.80–0.90 ×");
  expect(await listed(page)).toEqual(["5:fields-east.png"]);
  await expect(page.getByTestId("summary-shown-accuracy")).toHaveText("100.00");
  await expect(page.getByTestId("summary-shown-counted")).toHaveText("1");
  await expect(page.getByTestId("summary-shown-accuracy-S")).toHaveText("–");
  await expect(page.getByTestId("summary-shown-accuracy-L")).toHaveText("100.00");
  // Every sample's summary is unchanged beside it.
  await expect(page.getByTestId("summary-accuracy")).toHaveText("37.50");

  await page.getByTestId("histogram-bin-0").click();
  expect(await listed(page)).toEqual(["1:village-centre.png"]);
  await expect(page.getByTestId("summary-shown-accuracy")).toHaveText("0.00");
  await page.getByTestId("histogram-bin-0").click();
  await expect(page.getByTestId("filter-iou")).toHaveCount(0);
  await expect(page.getByTestId("list-count")).toContainText("8 of 8 samples");

  // Bucket L with misses: sample 6 only; its shown accuracy is 0 of 1.
  await page.getByTestId("filter-bucket-L").check();
  await page.getByTestId("filter-outcome").selectOption("miss");
  expect(await listed(page)).toEqual(["6:fields-east.png"]);
  await expect(page.getByTestId("summary-shown-accuracy-L")).toHaveText("0.00");
  await expect(page.getByTestId("summary-shown-count-L")).toHaveText("1");
});

test("the list filters by review mark and sorts by reference box area or image; the threshold can be typed", async ({
  page,
}) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  // Reference areas: samples 0–2 285 px², 3–4 1755, 6 41800, 5 48300, 7 67200.
  await page.getByTestId("sort").selectOption("area-small");
  expect(await listed(page)).toEqual([0, 1, 2, 3, 4, 6, 5, 7].map((i) => IDS[i]));
  await page.getByTestId("sort").selectOption("area-large");
  expect(await listed(page)).toEqual([7, 5, 6, 3, 4, 0, 1, 2].map((i) => IDS[i]));
  await page.getByTestId("sort").selectOption("image");
  expect(await listed(page)).toEqual([5, 6, 0, 1, 2, 3, 4, 7].map((i) => IDS[i]));

  await page.locator(`[data-testid=sample-row][data-id="${IDS[4]}"]`).click();
  await page.keyboard.press("2");
  await page.locator(`[data-testid=sample-row][data-id="${IDS[6]}"]`).click();
  await page.keyboard.press("1");
  await page.getByTestId("filter-mark").selectOption("marked");
  expect(await listed(page)).toEqual([IDS[6], IDS[4]]);
  await page.getByTestId("filter-mark").selectOption("wrong-reference");
  expect(await listed(page)).toEqual([IDS[4]]);
  await page.getByTestId("filter-mark").selectOption("unmarked");
  expect(await listed(page)).toEqual([5, 0, 1, 2, 3, 7].map((i) => IDS[i]));
  // Marking a listed sample takes it out of the "not marked yet" list at once.
  await page.locator(`[data-testid=sample-row][data-id="${IDS[0]}"]`).click();
  await page.keyboard.press("3");
  expect(await listed(page)).toEqual([5, 1, 2, 3, 7].map((i) => IDS[i]));
  await page.getByTestId("filter-mark").selectOption("all");

  // Sample 6's IoU is 0.4169: a hit at a typed 0.41, a miss at 0.42.
  await page.getByTestId("threshold-input").fill("0.41");
  await expect(page.getByTestId("threshold-value")).toHaveText("0.41");
  await expect(page.getByTestId("summary-accuracy")).toHaveText("50.00");
  await page.getByTestId("threshold-input").fill("0.42");
  await expect(page.getByTestId("summary-accuracy")).toHaveText("37.50");
  await page.getByTestId("threshold-input").fill("1.5");
  await expect(page.getByTestId("threshold-error")).toContainText('The threshold is a number from 0 to 1; got "1.5"');
  await expect(page.getByTestId("threshold-value")).toHaveText("0.42");
  await page.getByTestId("threshold").fill("0.4");
  await expect(page.getByTestId("threshold-input")).toHaveValue("0.4");
  await expect(page.getByTestId("threshold-error")).toHaveCount(0);
});

/** The reference box's width on screen, in CSS pixels. */
async function referenceWidth(page: Page): Promise<number> {
  const box = await page.locator("[data-testid=overlay-reference] rect").boundingBox();
  return box?.width ?? 0;
}

test("Boxes zooms to the reference and prediction and stays zoomed from sample to sample", async ({ page }) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  await page.getByTestId("sort").selectOption("index");
  await page.getByTestId("sample-row").first().click();
  await expect(page.getByTestId("sample-image")).toBeVisible();
  // Sample 0: a 19 × 15 px roof in a 448 × 448 image, a speck at Fit.
  const atFit = await referenceWidth(page);
  expect(atFit).toBeLessThan(40);
  await page.getByTestId("zoom-boxes").click();
  await expect(page.getByTestId("zoom-boxes")).toHaveAttribute("aria-pressed", "true");
  await expect.poll(() => referenceWidth(page)).toBeGreaterThan(atFit * 4);
  const frame = await page.locator(".zoom-frame").boundingBox();
  const reference = await page.locator("[data-testid=overlay-reference] rect").boundingBox();
  if (!frame || !reference) throw new Error("no frame");
  // In sight, not zoomed off to one side.
  expect(reference.x).toBeGreaterThan(frame.x);
  expect(reference.x + reference.width).toBeLessThan(frame.x + frame.width);

  // Sample 1 (the same roof size, its prediction 30 px off): zoomed to its boxes too, not reset to Fit.
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("j");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[1]);
  await expect.poll(() => referenceWidth(page)).toBeGreaterThan(atFit * 2);
  await page.getByTestId("zoom-fit").click();
  await expect.poll(() => referenceWidth(page)).toBeLessThan(40);
  await page.keyboard.press("k");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", IDS[0]);
  await expect.poll(() => referenceWidth(page)).toBeLessThan(40);
});

/** The view the workspace holds in IndexedDB, or null. */
function keptView(page: Page): Promise<unknown> {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const opening = indexedDB.open("geozero-inspect");
        opening.onsuccess = () => {
          const request = opening.result.transaction("meta").objectStore("meta").get("view");
          request.onsuccess = () => {
            resolve(request.result ?? null);
            opening.result.close();
          };
        };
      }),
  );
}

/** Sets a sort, filter, typed threshold and zoom; checks them after `reopen`. */
async function viewKeptAcross(page: Page, reopen: () => Promise<Page>): Promise<void> {
  await page.getByTestId("sort").selectOption("image");
  await page.getByTestId("filter-outcome").selectOption("miss");
  await page.getByTestId("filter-bucket-L").check();
  await page.getByTestId("filter-text").fill("fields");
  await page.getByTestId("threshold-input").fill("0.45");
  await page.getByTestId("sample-row").first().click();
  await page.getByTestId("zoom-boxes").click();
  await expect(page.getByTestId("list-count")).toContainText("1 of 8 samples");
  // The view is kept (in IndexedDB) a moment after the last change.
  await expect.poll(() => keptView(page)).toMatchObject({ threshold: 0.45, zoom: "boxes" });
  const next = await reopen();
  await expect(next.getByTestId("list-count")).toContainText("1 of 8 samples");
  await expect(next.getByTestId("sort")).toHaveValue("image");
  await expect(next.getByTestId("filter-outcome")).toHaveValue("miss");
  await expect(next.getByTestId("filter-bucket-L")).toBeChecked();
  await expect(next.getByTestId("filter-text")).toHaveValue("fields");
  await expect(next.getByTestId("threshold-value")).toHaveText("0.45");
  await expect(next.getByTestId("zoom-boxes")).toHaveAttribute("aria-pressed", "true");
  expect(await listed(next)).toEqual(["6:fields-east.png"]);
}

test("sort, filters, threshold and zoom are kept across a reload (private window)", async ({ page }) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  await viewKeptAcross(page, async () => {
    await page.reload();
    return page;
  });
});

test("sort, filters, threshold and zoom are kept when the browser is closed and opened again (normal profile)", async ({
  baseURL,
}) => {
  const profile = mkdtempSync(join(tmpdir(), "inspect-profile-"));
  const launch = () =>
    chromium.launchPersistentContext(profile, {
      executablePath: browserExecutable(),
      args: chromiumArgs,
      viewport: { width: 1400, height: 900 },
      baseURL,
    });
  let context = await launch();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await openInspect(page);
    await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
    await viewKeptAcross(page, async () => {
      await context.close();
      context = await launch();
      const next = context.pages()[0] ?? (await context.newPage());
      await next.goto("/#view=inspect");
      return next;
    });
  } finally {
    await context.close();
  }
});
