import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import type { ModelEntry, ModelManifest } from "../src/model/manifest";

const MANIFEST = JSON.parse(readFileSync("model-cache/geozero-tiny/manifest.json", "utf8")) as ModelManifest;

/** Whether this browser's WebGPU adapter is a software one (SwiftShader here, with no GPU). */
async function softwareAdapter(page: Page): Promise<string | null> {
  return page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    const adapter = await gpu?.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    const name = [info.vendor, info.architecture, info.description].join(" ");
    return info.isFallbackAdapter || /swiftshader/i.test(name) ? name : null;
  });
}

test("Automatic takes WASM over a software WebGPU adapter for a model that fits WASM, and says why", async ({
  page,
}) => {
  await page.goto("/");
  test.skip(!(await softwareAdapter(page)), "this machine has a hardware GPU: its adapter rightly wins");
  await expect(page.getByTestId("device-select")).toHaveValue("auto");
  await expect(page.getByTestId("device-choice")).toContainText(/^WASM · q4/);
  await expect(page.getByTestId("device-choice")).toContainText("is a software renderer");
});

test("a model too large for WASM on a machine with no usable GPU is named as such, and WebGPU can still be forced", async ({
  page,
}) => {
  // An index with a model whose weights need 6 GB on WASM (sizes only: nothing is loaded).
  const huge: ModelEntry = {
    id: "geozero-huge",
    manifest: {
      ...MANIFEST,
      files: MANIFEST.files.map((f) => ({ ...f, bytes: f.path.endsWith("_data") ? 2e9 : f.bytes })),
    },
  };
  await page.route("**/model-cache/index.json", async (route) => {
    const response = await route.fetch();
    const entries = (await response.json()) as ModelEntry[];
    await route.fulfill({ response, json: [...entries, huge] });
  });
  await page.goto("/");
  test.skip(!(await softwareAdapter(page)), "this machine has a hardware GPU");
  await page.getByTestId("model-select").selectOption("geozero-huge");
  await expect(page.getByTestId("device-problem")).toContainText("This machine has no GPU the app can use");
  await expect(page.getByTestId("device-problem")).toContainText("Choose WebGPU under Device");
  await expect(page.getByTestId("load-model")).toBeDisabled();
  await page.getByTestId("device-select").selectOption("webgpu");
  await expect(page.getByTestId("device-problem")).toHaveCount(0);
  await expect(page.getByTestId("device-choice")).toContainText(/^WebGPU ·/);
  await expect(page.getByTestId("device-choice")).toContainText("software renderer");
  await expect(page.getByTestId("load-model")).toBeEnabled();
});
