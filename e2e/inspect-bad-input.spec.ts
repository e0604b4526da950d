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

test("results from an annotation file shifted by one sample: ids that still match are caught by their reference, and every unfit record is left out of the summary", async ({
  page,
}) => {
  await openSet(page);
  // One sample inserted at the top: ids `i:image` now name the sample before, which for five of the eight records is
  // a question about the same image (worked out by hand from the set's image order vc vc vc ve ve fe fe ve).
  const original = JSON.parse(readFileSync(SET.annotations, "utf8"));
  const inserted = {
    images: ["village-centre.png"],
    conversations: [
      { from: "human", value: "<image>Box the well." },
      { from: "gpt", value: "[1, 1, 9, 9]" },
    ],
  };
  const path = join(tmp(), "shifted.json");
  writeFileSync(path, JSON.stringify([inserted, ...original]));
  await openFiles(page, { annotations: path });
  await expect(page.getByTestId("problem-mismatch")).toContainText(
    "8 of 8 records do not fit: 3 name no sample of shifted.json and 5 name a sample of shifted.json that asks something else",
  );
  await expect(page.getByTestId("sample-row")).toHaveCount(records.length);
  await expect(page.locator("[data-testid=sample-row][data-left-out=true]")).toHaveCount(8);
  await expect(page.getByTestId("summary-counted")).toHaveText("0");
  await expect(page.getByTestId("summary-left-out")).toContainText("8 records are left out");
  await page.getByTestId("sample-row").first().click();
  await expect(page.getByTestId("sample-left-out")).toBeVisible();

  // The file they were made from fits them all again.
  await openFiles(page, { annotations: SET.annotations });
  await expect(page.getByTestId("problem-mismatch")).toHaveCount(0);
  await expect(page.getByTestId("summary-counted")).toHaveText("8");
  await expect(page.getByTestId("summary-accuracy")).toHaveText("37.50");
});

test("a record id on two lines is reported with both line numbers, the last line shown as npm run eval reads it", async ({
  page,
}) => {
  await openInspect(page);
  const path = join(tmp(), "joined.jsonl");
  // Sample 0 again, now a miss (IoU 0.1): two runs joined into one file.
  const again = { ...records[0], score: 0.1, hit: false };
  writeFileSync(path, `${readFileSync(SET.results, "utf8")}${JSON.stringify(again)}\n`);
  await openFiles(page, { annotations: SET.annotations, results: path });
  await expect(page.getByTestId("problem-repeated")).toContainText(
    "1 record id occurs on more than one line of the results file (0:village-centre.png on lines 1, 9)",
  );
  await expect(page.getByTestId("problem-repeated")).toContainText("the 1 earlier line is left out");
  await expect(page.getByTestId("sample-row")).toHaveCount(8);
  // 2 hits of 8 (samples 5 and 7) once sample 0 is the later line's miss.
  await expect(page.getByTestId("summary-accuracy")).toHaveText("25.00");
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
    "3 samples have no image in the folder (3:village-edge.png, 4:village-edge.png, 7:village-edge.png): 1 image is missing: village-edge.png",
  );
  await page.locator('[data-testid=sample-row][data-id="3:village-edge.png"]').click();
  await expect(page.getByTestId("image-missing")).toContainText(
    "village-edge.png is not in the opened folder partial/",
  );
  await expect(page.getByTestId("sample-no-image")).toBeVisible();
  await expect(page.getByTestId("overlay-reference")).toBeVisible();
  await expect(page.getByTestId("overlay-box-0")).toBeVisible();
});

test("after a reload no images folder is open, and the sample says so rather than blame the folder", async ({
  page,
}) => {
  await openSet(page);
  await page.locator('[data-testid=sample-row][data-id="5:fields-east.png"]').click();
  await expect(page.getByTestId("sample-image")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("sample-view")).toHaveAttribute("data-id", "5:fields-east.png");
  await expect(page.getByTestId("image-missing")).toHaveText(
    "No images folder is open (a folder is not kept across a reload): open it to see fields-east.png; the boxes are drawn on an empty frame.",
  );
  await expect(page.getByTestId("problem-missing-images")).toHaveCount(0);
  await openFiles(page, { images: SET.images });
  await expect(page.getByTestId("sample-image")).toBeVisible();
  await expect(page.getByTestId("image-missing")).toHaveCount(0);
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
