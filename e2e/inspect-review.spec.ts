import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
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
