import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { downloaded, openFiles, openInspect, SET, setRecords } from "./support/inspect";

/**
 * The grounding set scored by hand with GeoZero's rule (single_infer_eval_qwen3vl_think.py: numbers between the first
 * `[` and the last `]`, exactly four or a miss; smart_resize at factor 28; reverse mapping rounded; IoU on boxes
 * normalised by the image size; hit at IoU ≥ threshold), checked with a separate Python script, not with the app:
 *
 * | id                   | reference area | bucket | answer              | IoU    |
 * | 0:village-centre.png | 19 × 15 = 285  | S      | box                 | 0.7925 |
 * | 1:village-centre.png | 285            | S      | box, no overlap     | 0      |
 * | 2:village-centre.png | 285            | S      | no box              | miss   |
 * | 3:village-edge.png   | 117 × 15       | M      | box                 | 0.2676 |
 * | 4:village-edge.png   | 117 × 15       | M      | 3 numbers           | miss   |
 * | 5:fields-east.png    | 230 × 210      | L      | box                 | 0.8826 |
 * | 6:fields-east.png    | 220 × 190      | L      | box                 | 0.4169 |
 * | 7:village-edge.png   | 280 × 240      | L      | box                 | 0.6665 |
 */
const AT_05 = { overall: "37.50", S: "33.33", M: "0.00", L: "66.67", counts: { S: "3", M: "2", L: "3" } };
const AT_04 = { overall: "50.00", S: "33.33", M: "0.00", L: "100.00" };
/** Misses at 0.5, worst IoU first (ties by index). */
const MISSES_AT_05 = [
  "1:village-centre.png",
  "2:village-centre.png",
  "4:village-edge.png",
  "3:village-edge.png",
  "6:fields-east.png",
];

test("the grounding set: summary equals GeoZero's rule, misses filtered and stepped through by keyboard, threshold recomputed", async ({
  page,
}) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  await expect(page.getByTestId("list-count")).toContainText("8 of 8 samples");

  await expect(page.getByTestId("summary-accuracy")).toHaveText(AT_05.overall);
  await expect(page.getByTestId("summary-counted")).toHaveText("8");
  for (const bucket of ["S", "M", "L"] as const) {
    await expect(page.getByTestId(`summary-accuracy-${bucket}`)).toHaveText(AT_05[bucket]);
    await expect(page.getByTestId(`summary-count-${bucket}`)).toHaveText(AT_05.counts[bucket]);
  }

  // Misses, worst first, stepped through with j and k; the URL names the sample.
  await page.getByTestId("filter-outcome").selectOption("miss");
  await expect(page.getByTestId("list-count")).toContainText("5 of 8 samples");
  await expect(page.getByTestId("sample-row")).toHaveCount(5);
  expect(await page.getByTestId("sample-row").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")))).toEqual(
    MISSES_AT_05,
  );
  await page.getByTestId("sample-row").first().click();
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  for (const [i, id] of MISSES_AT_05.entries()) {
    if (i > 0) await page.keyboard.press("j");
    await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", id);
    await expect(page.getByTestId("sample-outcome")).toContainText("miss at 0.50");
    expect(decodeURIComponent(new URL(page.url()).hash)).toContain(`sample=${id}`);
  }
  await page.keyboard.press("j");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", "6:fields-east.png");
  await page.keyboard.press("k");
  await page.keyboard.press("ArrowUp");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", "4:village-edge.png");

  // At 0.4 sample 6 (IoU 0.4169) becomes a hit: 4 of 8 overall, every L sample a hit.
  await page.getByTestId("threshold").fill("0.4");
  await expect(page.getByTestId("threshold-value")).toHaveText("0.40");
  await expect(page.getByTestId("summary-accuracy")).toHaveText(AT_04.overall);
  for (const bucket of ["S", "M", "L"] as const)
    await expect(page.getByTestId(`summary-accuracy-${bucket}`)).toHaveText(AT_04[bucket]);
  await expect(page.getByTestId("list-count")).toContainText("4 of 8 samples");
});

test("one sample: boxes on the image, the resize chain, parse failures named, marks kept across a reload and exported", async ({
  page,
}) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  // Sample 3: the answer's [68, 18, 183, 34] on GeoZero's 504 × 392 reading, × (512/504, 384/392), rounded.
  const edge = "3:village-edge.png";
  await page.locator(`[data-testid=sample-row][data-id="${edge}"]`).click();
  await expect(page.getByTestId("sample-image")).toBeVisible();
  await expect(page.getByTestId("overlay-reference")).toBeVisible();
  await expect(page.getByTestId("overlay-box-0")).toContainText("IoU 0.268");
  await expect(page.getByTestId("resize-chain")).toContainText("512 × 384 px → the model saw 512 × 384 px");
  await expect(page.getByTestId("resize-chain")).toContainText(
    "pixels of a 504 × 392 image (smart_resize at factor 28",
  );
  await expect(page.getByTestId("box-rescaled")).toHaveText("[69, 18, 186, 33] px of the original");
  await expect(page.getByTestId("answer-box-0")).toBeVisible();

  for (const [id, text] of [
    ["4:village-edge.png", "holds 3 numbers"],
    ["2:village-centre.png", "holds no box"],
  ] as const) {
    await page.locator(`[data-testid=sample-row][data-id="${id}"]`).click();
    await expect(page.getByTestId("sample-parse-problem")).toContainText(text);
    await expect(page.getByTestId("sample-outcome")).toContainText("miss");
  }

  await page.locator(`[data-testid=sample-row][data-id="${edge}"]`).click();
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("2");
  await expect(page.getByTestId("mark-wrong-reference")).toHaveAttribute("aria-pressed", "true");
  await page.getByTestId("mark-note").fill("the reference misses the eastern house");
  await page.getByTestId("sample-title").click();
  await page.reload();
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", edge);
  await expect(page.getByTestId("mark-wrong-reference")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("mark-note")).toHaveValue("the reference misses the eastern house");

  const path = await downloaded(page, () => page.getByTestId("export-jsonl").click());
  const exported = readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  // Every record as the file holds it, plus the mark.
  const original = new Map(setRecords().map((r) => [r.id, r]));
  expect(exported).toHaveLength(8);
  for (const { review: _, ...record } of exported) expect(record).toEqual(original.get(record.id));
  expect(exported.find((r) => r.id === edge)?.review).toEqual({
    verdict: "wrong-reference",
    note: "the reference misses the eastern house",
  });
  const csv = readFileSync(await downloaded(page, () => page.getByTestId("export-csv").click()), "utf8");
  expect(csv.split("\r\n")[0]).toContain("id,index,image,model,iou,outcome");
  expect(csv).toContain("wrong-reference,the reference misses the eastern house");
});
