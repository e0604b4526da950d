import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { manyRecordsJsonl } from "../tools/grounding-set/many";
import { openFiles, openInspect, SET, setRecords } from "./support/inspect";

const tmp = () => mkdtempSync(join(tmpdir(), "inspect-bad-"));
const records = setRecords();

async function openSet(page: Page): Promise<void> {
  await openInspect(page);
  await openFiles(page, { annotations: SET.annotations, results: SET.results, images: SET.images });
  await expect(page.getByTestId("list-count")).toContainText(`${records.length} of ${records.length} samples`);
}

test("results from another annotation file: the unmatched ids are counted, the records still shown", async ({
  page,
}) => {
  await openSet(page);
  const other = JSON.parse(readFileSync(SET.annotations, "utf8")).reverse();
  const path = join(tmp(), "other.json");
  writeFileSync(path, JSON.stringify(other));
  const ids = new Set(other.map((r: { images: string[] }, i: number) => `${i}:${r.images[0]}`));
  const unmatched = records.filter((r) => !ids.has(r.id)).length;
  expect(unmatched).toBeGreaterThan(0);
  await openFiles(page, { annotations: path });
  await expect(page.getByTestId("problem-mismatch")).toContainText(
    `${unmatched} of ${records.length} records name no sample of other.json`,
  );
  await expect(page.getByTestId("sample-row")).toHaveCount(records.length);
});

test("images missing from the folder are listed and counted; their samples show the boxes on an empty frame", async ({
  page,
}) => {
  await openSet(page);
  const dir = join(tmp(), "partial");
  mkdirSync(dir);
  for (const name of ["village-centre.png", "fields-east.png"]) copyFileSync(join(SET.images, name), join(dir, name));
  await openFiles(page, { images: dir });
  await expect(page.getByTestId("problem-missing-images")).toContainText(
    "1 image is missing from the folder: village-edge.png",
  );
  const edge = records.find((r) => r.image === "village-edge.png" && r.predicted_box);
  await page.locator(`[data-testid=sample-row][data-id="${edge?.id}"]`).click();
  await expect(page.getByTestId("image-missing")).toContainText("village-edge.png is not in the opened images folder");
  await expect(page.getByTestId("sample-no-image")).toBeVisible();
  await expect(page.getByTestId("overlay-reference")).toBeVisible();
  await expect(page.getByTestId("overlay-box-0")).toBeVisible();
});

test("bad record lines are named by number and skipped; a malformed box in an answer is a named miss", async ({
  page,
}) => {
  await openInspect(page);
  const path = join(tmp(), "results.jsonl");
  const bad = { ...records[0], id: "99:extra.png", index: 99, predicted_box: [1, 2, 3] };
  writeFileSync(path, `${readFileSync(SET.results, "utf8")}${JSON.stringify(bad)}\noops, not json\n`);
  await openFiles(page, { results: path });
  await expect(page.getByTestId("problem-lines")).toContainText("2 lines of the results file could not be read");
  await expect(page.getByTestId("problem-lines")).toContainText(
    `line ${records.length + 1} (99:extra.png): "predicted_box" must be null or four numbers [x1, y1, x2, y2]; got [1,2,3].`,
  );
  await expect(page.getByTestId("problem-lines")).toContainText(`line ${records.length + 2}: not JSON`);
  await expect(page.getByTestId("sample-row")).toHaveCount(records.length);
  await page.getByTestId("filter-parse").selectOption("malformed");
  await expect(page.getByTestId("sample-row")).toHaveCount(1);
  await page.getByTestId("sample-row").click();
  await expect(page.getByTestId("sample-parse-problem")).toContainText("holds 3 numbers");
});

test("a non-JSON file is refused with a message, and what was open stays", async ({ page }) => {
  await openSet(page);
  const path = join(tmp(), "notes.json");
  writeFileSync(path, "these are my notes, not JSON\n");
  await openFiles(page, { annotations: path });
  await expect(page.getByTestId("problem-file")).toContainText("notes.json: not valid JSON");
  await expect(page.getByTestId("opened")).toContainText("annotations.json (8 samples)");
  await openFiles(page, { results: path });
  await expect(page.getByTestId("problem-file")).toContainText(
    "No line of it is a grounding record (1 unreadable lines)",
  );
  await expect(page.getByTestId("sample-row")).toHaveCount(records.length);
  await expect(page.getByTestId("summary-counted")).toHaveText(String(records.length));
});

test("a 50 MB results file is streamed with progress, and all its records load", async ({ page }) => {
  test.setTimeout(300_000);
  await openInspect(page);
  const path = join(tmp(), "big.jsonl");
  const count = 10_000;
  writeFileSync(path, manyRecordsJsonl(records, count, 4800));
  const megabytes = Buffer.byteLength(readFileSync(path)) / 1e6;
  expect(megabytes).toBeGreaterThan(50);
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { progressSeen: string[] }).progressSeen = seen;
    new MutationObserver(() => {
      const text = document.querySelector("[data-testid=reading-progress]")?.textContent;
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await openFiles(page, { results: path });
  await expect(page.getByTestId("list-count")).toContainText(`${count} of ${count} samples`, { timeout: 240_000 });
  const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
  const partial = seen.filter((text) => {
    const [done, total] = [...text.matchAll(/([\d.]+) of ([\d.]+) MB/g)][0]?.slice(1).map(Number) ?? [0, 0];
    return done > 0 && done < total;
  });
  expect(partial.length).toBeGreaterThan(3);
  await expect(page.getByTestId("reading-progress")).toHaveCount(0);
});
