import { expect, test } from "@playwright/test";
import type { useModelStore } from "../src/state/model-store";
import { openFiles, openInspect, SET } from "./support/inspect";
import { loadModel } from "./support/model";

type Hooks = {
  __geozero: {
    modelStore: typeof useModelStore;
    loadModel: () => Promise<void>;
    modelInWorker: () => Promise<{ device: string; dtype: string } | null>;
  };
};

test("a load asked during an Inspect run waits until it ends: every sample runs on the model its record names", async ({
  page,
}) => {
  test.setTimeout(480_000);
  await openInspect(page);
  await page.getByTestId("tab-map").click();
  expect(await loadModel(page, "wasm")).toContain("ready on wasm (q4)");
  await page.getByTestId("tab-inspect").click();
  await openFiles(page, { annotations: SET.annotations, images: SET.images });
  await page.getByTestId("run-subset").selectOption("first");
  await page.getByTestId("run-count").fill("3");
  await page.getByTestId("run-max-tokens").fill("16");
  await page.getByTestId("run-start").click();
  await expect(page.getByTestId("run-progress")).toContainText(/Running: 0 of 3/, { timeout: 60_000 });

  // The Model panel refuses a load and says why; the same load asked anyway (a recovery, a script) waits.
  await page.getByTestId("tab-map").click();
  await expect(page.getByTestId("load-model")).toBeDisabled();
  await expect(page.getByTestId("load-waits")).toContainText("Stop or finish the Inspect run to load a model.");
  await page.getByTestId("device-select").selectOption("webgpu");
  const load = page.evaluate(() => (window as unknown as Hooks).__geozero.loadModel());
  await expect(page.getByTestId("load-progress")).toContainText("Waits for the Inspect run to end");

  await page.getByTestId("tab-inspect").click();
  await expect(page.getByTestId("run-progress")).toContainText(/Running: 1 of 3/, { timeout: 240_000 });
  expect(await page.evaluate(() => (window as unknown as Hooks).__geozero.modelInWorker())).toMatchObject({
    device: "wasm",
  });
  await expect(page.getByTestId("run-progress")).toContainText("Finished: 3 of 3 samples recorded", {
    timeout: 300_000,
  });
  await load;
  await page.getByTestId("tab-map").click();
  await expect(page.getByTestId("model-ready")).toContainText("ready on webgpu");
  expect(await page.evaluate(() => (window as unknown as Hooks).__geozero.modelInWorker())).toMatchObject({
    device: "webgpu",
  });
});
