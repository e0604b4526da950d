import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { groundingMetrics } from "../src/eval/score";
import { outcomeOf, toRow } from "../src/inspect/rows";
import { downloaded, openFiles, openInspect, SET, setRecords, setSummary, shown } from "./support/inspect";

test("the grounding set: summary equals npm run eval's, misses filtered and stepped through by keyboard, threshold recomputed", async ({
  page,
}) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  const records = setRecords();
  await expect(page.getByTestId("list-count")).toContainText(`${records.length} of ${records.length} samples`);

  // The summary is npm run eval's own summary of the same records (results.json, written by its runner).
  const { metrics } = setSummary();
  await expect(page.getByTestId("summary-accuracy")).toHaveText(shown(metrics.accuracy));
  await expect(page.getByTestId("summary-counted")).toHaveText(String(metrics.counted));
  for (const bucket of ["S", "M", "L"]) {
    await expect(page.getByTestId(`summary-accuracy-${bucket}`)).toHaveText(shown(metrics[`accuracy_${bucket}`]));
    await expect(page.getByTestId(`summary-count-${bucket}`)).toHaveText(String(metrics[`count_${bucket}`]));
  }

  // Misses, worst first, stepped through with j and k; the URL names the sample.
  await page.getByTestId("filter-outcome").selectOption("miss");
  const rows = records.map(toRow);
  const misses = rows
    .filter((r) => outcomeOf(r, 0.5) === "miss")
    .sort((a, b) => (a.iou ?? 0) - (b.iou ?? 0) || a.index - b.index)
    .map((r) => r.id);
  await expect(page.getByTestId("list-count")).toContainText(`${misses.length} of ${records.length} samples`);
  await expect(page.getByTestId("sample-row")).toHaveCount(misses.length);
  expect(await page.getByTestId("sample-row").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")))).toEqual(
    misses,
  );
  await page.getByTestId("sample-row").first().click();
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  for (const [i, id] of misses.entries()) {
    if (i > 0) await page.keyboard.press("j");
    await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", id);
    await expect(page.getByTestId("sample-outcome")).toContainText("miss at 0.50");
    expect(decodeURIComponent(new URL(page.url()).hash)).toContain(`sample=${id}`);
  }
  await page.keyboard.press("j");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", misses[misses.length - 1]);
  await page.keyboard.press("k");
  await page.keyboard.press("ArrowUp");
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", misses[misses.length - 3]);

  // The threshold recomputes Acc@threshold at once, by the same function, and the misses with it.
  await page.getByTestId("threshold").fill("0.4");
  await expect(page.getByTestId("threshold-value")).toHaveText("0.40");
  const at04 = groundingMetrics(records, 0.4);
  expect(at04.accuracy).not.toBe(metrics.accuracy);
  await expect(page.getByTestId("summary-accuracy")).toHaveText(shown(at04.accuracy));
  for (const bucket of ["S", "M", "L"])
    await expect(page.getByTestId(`summary-accuracy-${bucket}`)).toHaveText(shown(at04[`accuracy_${bucket}`]));
  const missesAt04 = rows.filter((r) => outcomeOf(r, 0.4) === "miss").length;
  await expect(page.getByTestId("list-count")).toContainText(`${missesAt04} of ${records.length} samples`);
  expect(missesAt04).toBe(misses.length - 1);
});

test("one sample: boxes on the image, the resize chain, parse failures named, marks kept across a reload and exported", async ({
  page,
}) => {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  const records = setRecords();
  const edge = records.find((r) => r.image === "village-edge.png" && r.predicted_box) ?? records[0];
  await page.locator(`[data-testid=sample-row][data-id="${edge.id}"]`).click();
  await expect(page.getByTestId("sample-image")).toBeVisible();
  await expect(page.getByTestId("overlay-reference")).toBeVisible();
  await expect(page.getByTestId("overlay-box-0")).toContainText(`IoU ${(edge.score ?? 0).toFixed(3)}`);
  await expect(page.getByTestId("resize-chain")).toContainText("512 × 384 px → the model saw 512 × 384 px");
  await expect(page.getByTestId("resize-chain")).toContainText(
    "pixels of a 504 × 392 image (smart_resize at factor 28",
  );
  await expect(page.getByTestId("box-rescaled")).toHaveText(`[${edge.predicted_box?.join(", ")}] px of the original`);
  await expect(page.getByTestId("answer-box-0")).toBeVisible();

  const malformed = records.find((r) => /^\[\d+, \d+, \d+\]$/.test(r.answer));
  const noBox = records.find((r) => !r.answer.includes("["));
  for (const [record, text] of [
    [malformed, "holds 3 numbers"],
    [noBox, "holds no box"],
  ] as const) {
    await page.locator(`[data-testid=sample-row][data-id="${record?.id}"]`).click();
    await expect(page.getByTestId("sample-parse-problem")).toContainText(text);
    await expect(page.getByTestId("sample-outcome")).toContainText("miss");
  }

  await page.locator(`[data-testid=sample-row][data-id="${edge.id}"]`).click();
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("2");
  await expect(page.getByTestId("mark-wrong-reference")).toHaveAttribute("aria-pressed", "true");
  await page.getByTestId("mark-note").fill("the reference misses the eastern house");
  await page.getByTestId("sample-title").click();
  await page.reload();
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", edge.id);
  await expect(page.getByTestId("mark-wrong-reference")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("mark-note")).toHaveValue("the reference misses the eastern house");

  const path = await downloaded(page, () => page.getByTestId("export-jsonl").click());
  const exported = readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(exported).toHaveLength(records.length);
  expect(exported.find((r) => r.id === edge.id)?.review).toEqual({
    verdict: "wrong-reference",
    note: "the reference misses the eastern house",
  });
  const csv = readFileSync(await downloaded(page, () => page.getByTestId("export-csv").click()), "utf8");
  expect(csv.split("\r\n")[0]).toContain("id,index,image,model,iou,outcome");
  expect(csv).toContain("wrong-reference,the reference misses the eastern house");
});
