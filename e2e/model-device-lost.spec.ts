import { expect, test } from "@playwright/test";
import { askGreedy, cropExactly, loadModel } from "./support/model";

const QUESTION = "Which way does the river run?";

test("a lost WebGPU device ends the run with a clear message and one click reloads on WASM, keeping crop, question and answer", async ({
  page,
}) => {
  // Two model loads (one on WebGPU emulated on the CPU) and three questions: minutes on 2 cores.
  test.setTimeout(480_000);
  await page.goto("/");
  await page.waitForFunction(() => "__geozero" in window);
  // The model worker (assets/worker-*.js), started once the model list is read.
  await expect.poll(() => page.workers().some((w) => /\/worker-[\w-]+\.js$/.test(w.url()))).toBe(true);
  // Keep a handle on every GPUDevice the workers create, so the test can destroy ONNX Runtime's device as a driver
  // reset would. The app itself is unchanged.
  for (const worker of page.workers()) {
    await worker.evaluate(() => {
      const scope = self as unknown as { __devices: GPUDevice[] };
      scope.__devices = [];
      const original = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, ...args) {
        const device = await original.apply(this, args);
        scope.__devices.push(device);
        return device;
      };
    });
  }
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "webgpu")).toContain("ready on webgpu");
  const first = await askGreedy(page, QUESTION, 2);
  let destroyed = 0;
  for (const worker of page.workers()) {
    destroyed += await worker.evaluate(() => {
      const devices = (self as unknown as { __devices?: GPUDevice[] }).__devices ?? [];
      for (const device of devices) device.destroy();
      return devices.length;
    });
  }
  expect(destroyed).toBeGreaterThan(0);

  await askGreedy(page, QUESTION, 2);
  await expect(page.getByTestId("run-error")).toHaveAttribute("data-kind", "device-lost");
  await expect(page.getByTestId("run-error")).toContainText("The GPU device was lost");
  await expect(page.getByTestId("load-error")).toHaveAttribute("data-kind", "device-lost");
  await page.getByTestId("load-error").getByTestId("recover-reload-wasm").click();
  await expect(page.getByTestId("model-ready")).toContainText("ready on wasm", { timeout: 170_000 });
  await expect(page.getByTestId("question")).toHaveValue(QUESTION);
  await expect(page.getByTestId("crop-preview")).toBeVisible();

  const again = await askGreedy(page, QUESTION, 2);
  await expect(page.getByTestId("run-stats")).toContainText("Done · 2 tokens");
  expect(first.length).toBeGreaterThan(0);
  expect(again.length).toBeGreaterThan(0);
});
