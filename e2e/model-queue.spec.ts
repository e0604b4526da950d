import { expect, test } from "@playwright/test";
import type { useModelStore } from "../src/state/model-store";
import { cropExactly, loadModel, startAsking } from "./support/model";

type Hooks = { __geozero: { modelStore: typeof useModelStore; loadModel: () => Promise<void> } };

test("Reload model waits while an answer runs, and a load asked meanwhile runs after it without breaking it", async ({
  page,
}) => {
  await page.goto("/");
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await startAsking(page, { decoding: "greedy", maxNewTokens: 40, systemPrompt: false });
  await expect(page.getByTestId("run-stats")).toContainText(/Generating · [1-9]/, { timeout: 60_000 });
  await expect(page.getByTestId("load-model")).toBeDisabled();
  await expect(page.getByTestId("load-waits")).toContainText("Stop or finish the answer");

  // The same load the button starts, asked mid-answer: it waits for the answer, which ends whole.
  const reload = page.evaluate(() => (window as unknown as Hooks).__geozero.loadModel());
  await expect(page.getByTestId("load-progress")).toContainText("Waits for the answer to end");
  await expect(page.getByTestId("run-stats")).toContainText("Done · 40 tokens", { timeout: 120_000 });
  await reload;
  await expect(page.getByTestId("model-ready")).toContainText("ready on wasm");
  await expect(page.getByTestId("run-error")).toHaveCount(0);
  await expect(page.getByTestId("load-model")).toBeEnabled();
});

test("beam search reports its steps, the time to the first step and steps per second, not zeros", async ({ page }) => {
  await page.goto("/");
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await startAsking(page, { decoding: "beam", maxNewTokens: 12, systemPrompt: false });
  // While it runs: the steps so far and the time to the first step, never "first token 0.00 s".
  await expect(page.getByTestId("run-stats")).toContainText(/Generating · [1-9]\d* beam steps · first step/, {
    timeout: 120_000,
  });
  const running = (await page.getByTestId("run-stats").textContent()) ?? "";
  expect(Number(/first step (\d+\.\d+) s/.exec(running)?.[1])).toBeGreaterThan(0);
  await expect(page.getByTestId("run-stats")).toContainText("Done", { timeout: 120_000 });
  const stats = (await page.getByTestId("run-stats").textContent()) ?? "";
  const firstStep = Number(/first step (\d+\.\d+) s/.exec(stats)?.[1]);
  const rate = Number(/(\d+\.\d+) steps\/s/.exec(stats)?.[1]);
  expect(stats).toMatch(/Done · \d+ beam steps/);
  expect(firstStep).toBeGreaterThan(0);
  expect(rate).toBeGreaterThan(0);
  expect(stats).not.toContain("0.0 tokens/s");
});
