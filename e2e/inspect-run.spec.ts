import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { parseRecordLine } from "../src/eval/record-format";
import { downloaded, openFiles, openInspect, SET } from "./support/inspect";
import { loadModel } from "./support/model";

async function loadTinyModel(page: Page): Promise<void> {
  await page.getByTestId("tab-map").click();
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await page.getByTestId("tab-inspect").click();
}

test("runs the evaluation here on the tiny model for 3 samples, resumes after a reload, and exports records npm run eval resumes from", async ({
  page,
}) => {
  test.setTimeout(600_000);
  await openInspect(page);
  await loadTinyModel(page);
  await openFiles(page, { annotations: SET.annotations, images: SET.images });
  await page.getByTestId("run-subset").selectOption("first");
  await page.getByTestId("run-count").fill("3");
  await page.getByTestId("run-max-tokens").fill("24");
  await page.getByTestId("run-start").click();
  await expect(page.getByTestId("run-progress")).toContainText(/Running: [12] of 3 samples recorded/, {
    timeout: 300_000,
  });

  await page.reload();
  await expect(page.getByTestId("run-progress")).toContainText(/Interrupted by a reload: [12] of 3/);
  const before = await page.getByTestId("sample-row").count();
  expect(before).toBeGreaterThanOrEqual(1);
  expect(before).toBeLessThan(3);
  // After a reload the images folder and the model must be opened again; the records and annotations are kept.
  await page.getByTestId("run-resume").click();
  await expect(page.getByTestId("run-error")).toContainText("Open the images folder first");
  await openFiles(page, { images: SET.images });
  await page.getByTestId("run-resume").click();
  await expect(page.getByTestId("run-error")).toContainText("Load a model first");
  await loadTinyModel(page);
  await page.getByTestId("run-resume").click();
  await expect(page.getByTestId("run-progress")).toContainText("Finished: 3 of 3 samples recorded", {
    timeout: 300_000,
  });
  await expect(page.getByTestId("sample-row")).toHaveCount(3);

  const path = await downloaded(page, () => page.getByTestId("export-jsonl").click());
  const lines = readFileSync(path, "utf8").trim().split("\n");
  const records = lines.map((line, i) => {
    const parsed = parseRecordLine(line, i + 1);
    if (!parsed.ok) throw new Error(parsed.problem.reason);
    return parsed.record;
  });
  expect(records.map((r) => r.id)).toEqual(["0:village-centre.png", "1:village-centre.png", "2:village-centre.png"]);
  expect(records.map((r) => r.seed)).toEqual([42, 43, 44]);
  for (const record of records) {
    expect(record).toMatchObject({
      task: "grounding",
      model: "geozero-tiny",
      image_size: [448, 448],
      decoding: "sample",
    });
    expect(record.box_reading).toEqual({ convention: "pixels", factor: 28 });
  }

  // npm run eval takes the exported file as its own and resumes with nothing left to ask.
  const dir = mkdtempSync(join(tmpdir(), "inspect-run-"));
  copyFileSync(path, join(dir, "results.jsonl"));
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "tools/eval/cli.ts",
      "--model",
      "model-cache/geozero-tiny",
      "--data",
      SET.annotations,
      "--images",
      SET.images,
      "--task",
      "grounding",
      "--limit",
      "3",
      "--out",
      join(dir, "results.json"),
    ],
    { encoding: "utf8", timeout: 300_000 },
  );
  expect(run.stderr).toContain("resuming: 3 of 3 samples already done");
  expect(run.status).toBe(0);
  const summary = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  expect(summary).toMatchObject({ evaluated: 3, interrupted: false, model: "geozero-tiny" });
  expect(readFileSync(join(dir, "results.jsonl"), "utf8")).toBe(readFileSync(path, "utf8"));
});
