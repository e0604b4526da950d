import { expect, type Page, test } from "@playwright/test";
import type { useSweepStore } from "../src/state/sweep-store";
import { cropExactly, loadModel, selectExactly, startAsking } from "./support/model";

type Hooks = { __geozero: { sweepStore: typeof useSweepStore; loadModel(): Promise<void> } };

/** Records of the sweep shown: chip → when it was kept (its total time, which a chip answered again would change). */
async function keptChips(page: Page): Promise<Array<[number, number]>> {
  return page.evaluate(() => {
    const active = (window as unknown as Hooks).__geozero.sweepStore.getState().active;
    return [...(active?.records.values() ?? [])].map((r) => [r.chip, r.timing.totalMs] as [number, number]);
  });
}

/** Asks each chip a free question with greedy decoding and `maxNewTokens`, on 64 px chips without overlap. */
async function planSweep(page: Page, maxNewTokens: number, decoding: "greedy" | "sample" = "greedy"): Promise<void> {
  await page.getByTestId("task").selectOption("free");
  await page.getByTestId("question").fill("What is in this image?");
  await page.getByTestId("system-prompt").setChecked(false);
  await page.getByTestId("decoding").selectOption(decoding);
  await page.getByTestId("max-new-tokens").fill(String(maxNewTokens));
  await page.getByTestId("sweep-plan-toggle").check();
  await page.getByTestId("sweep-chip-size").fill("64");
  await page.getByTestId("sweep-overlap").fill("0");
}

test("a sweep on the tiny model goes chip by chip through the model's queue, survives a reload and resumes where it stopped", async ({
  page,
}) => {
  await page.goto("/");
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  // 192 × 128 px at zoom 17: 3 × 2 chips of 64 px.
  await selectExactly(page, [9.999, 48.006], 192, 128);
  await planSweep(page, 24);
  await expect(page.getByTestId("sweep-plan")).toContainText("6 chips (3 × 2) of 64 px, 0 % overlap");
  await page.getByTestId("sweep-run").click();
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "running");
  // Progress as chips finish: done / total, then the measured rate and time left.
  await expect(page.getByTestId("sweep-progress-text")).toContainText(/^[2-5] \/ 6 chips · [\d.]+ chips\/min · about/, {
    timeout: 120_000,
  });
  const beforeReload = await keptChips(page);
  expect(beforeReload.length).toBeGreaterThanOrEqual(2);

  // A reload mid-sweep: the records kept stay, the sweep comes back paused where it stopped.
  await page.reload();
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "paused");
  await expect(page.getByTestId("sweep-reason")).toContainText("Paused by the reload: load geozero-tiny");
  const afterReload = await keptChips(page);
  expect(afterReload.length).toBeGreaterThanOrEqual(beforeReload.length);
  expect(afterReload.length).toBeLessThan(6);
  await expect(page.getByTestId("sweep-history-item")).toHaveCount(1);

  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await page.getByTestId("sweep-resume").click();
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "finished", { timeout: 120_000 });
  await expect(page.getByTestId("sweep-progress-text")).toContainText("6 / 6 chips");
  const finished = new Map(await keptChips(page));
  expect([...finished.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  // The chips kept before the reload were not asked again.
  for (const [chip, totalMs] of afterReload) expect(finished.get(chip)).toBe(totalMs);
  // Free answers are listed per chip; clicking one outlines its chip on the map.
  await expect(page.getByTestId("sweep-answer")).toHaveCount(6);
  await page.getByTestId("sweep-answer").nth(4).click();
  await expect(page.getByTestId("sweep-answer").nth(4)).toHaveAttribute("aria-pressed", "true");
});

test("Stop ends a sweep within one model step: a load asked while it runs waits for it, and the next question starts at once", async ({
  page,
}) => {
  await page.goto("/");
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await selectExactly(page, [9.999, 48.006], 128, 64);
  // Long answers: a chip left running in the worker would hold the next question for minutes.
  await planSweep(page, 3000, "sample");
  await page.getByTestId("sweep-run").click();
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "running");
  // The sweep holds the model: Load is refused, naming the sweep; a load asked anyway waits, and the sweep goes on.
  await expect(page.getByTestId("load-model")).toBeDisabled();
  await expect(page.getByTestId("load-waits")).toContainText("Stop or finish the sweep to load a model.");
  void page.evaluate(() => (window as unknown as Hooks).__geozero.loadModel());
  await expect(page.getByTestId("load-progress")).toContainText("Waits for the sweep to end");
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "running");
  // Cancelled, the waiting load leaves the loaded model as it was.
  await page.getByTestId("cancel-load").click();
  await expect(page.getByTestId("model-ready")).toContainText("ready on wasm");
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "running");

  await page.getByTestId("sweep-stop").click();
  await expect(page.getByTestId("sweep-progress")).toHaveAttribute("data-status", "stopped", { timeout: 10_000 });
  await expect(page.getByTestId("sweep-reason")).toContainText("Stopped by you");
  await expect(page.getByTestId("sweep-resume")).toBeVisible();

  const asked = Date.now();
  await startAsking(page, { decoding: "greedy", maxNewTokens: 3, systemPrompt: false, question: "Is there water?" });
  await expect(page.getByTestId("run-stats")).toContainText("Done · 3 tokens", { timeout: 20_000 });
  expect(Date.now() - asked).toBeLessThan(20_000);
});
