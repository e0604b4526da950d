import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Download, expect, type Page } from "@playwright/test";
import type { SampleRecord } from "../../src/eval/record-format";
import type { EvalSummary } from "../../src/eval/report";
import { GROUNDING_SET_DIR } from "../../tools/grounding-set/location";

/** The project's grounding set (npm run fixtures). */
export const SET = {
  annotations: join(GROUNDING_SET_DIR, "annotations.json"),
  results: join(GROUNDING_SET_DIR, "results.jsonl"),
  summary: join(GROUNDING_SET_DIR, "results.json"),
  images: join(GROUNDING_SET_DIR, "images"),
};

export function setRecords(path = SET.results): SampleRecord[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as SampleRecord);
}

export function setSummary(): EvalSummary {
  return JSON.parse(readFileSync(SET.summary, "utf8")) as EvalSummary;
}

/** Opens the Inspect view with a fresh workspace (nothing kept from an earlier test). */
export async function openInspect(page: Page): Promise<void> {
  await page.goto("/#view=inspect");
  await page.getByTestId("inspect-view").waitFor();
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const request = indexedDB.deleteDatabase("geozero-inspect");
        request.onsuccess = request.onerror = request.onblocked = () => resolve();
      }),
  );
  await page.reload();
  await page.getByTestId("inspect-view").waitFor();
}

/** Opens annotations, results and images through the view's own inputs. */
export async function openFiles(
  page: Page,
  files: { annotations?: string; results?: string; images?: string },
): Promise<void> {
  if (files.annotations) await page.getByTestId("open-annotations").setInputFiles(files.annotations);
  if (files.results) await page.getByTestId("open-results").setInputFiles(files.results);
  if (files.images) await page.getByTestId("open-images").setInputFiles(files.images);
}

/** The percent text the summary shows for a metric. */
export function shown(value: number): string {
  return Number.isNaN(value) ? "–" : value.toFixed(2);
}

/** Clicks and returns the path of the download it starts. */
export async function downloaded(page: Page, click: () => Promise<void>): Promise<string> {
  const download: Promise<Download> = page.waitForEvent("download");
  await click();
  const path = await (await download).path();
  expect(path).toBeTruthy();
  return path;
}
