import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import type { ModelEntry, ModelManifest } from "../src/model/manifest";
import type { LoadProgress } from "../src/model/progress";
import type { useModelStore } from "../src/state/model-store";
import { askGreedy, cropExactly, loadModel } from "./support/model";

const FOLDER = "**/model-cache/geozero-tiny";
const MANIFEST = JSON.parse(readFileSync("model-cache/geozero-tiny/manifest.json", "utf8")) as ModelManifest;

test("a failed load keeps the model that was working: Ask still answers", async ({ page, context }) => {
  await page.goto("/");
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm (q4)");
  // The WebGPU load fetches only the files the WASM load did not cache (its embedding): they arrive corrupt.
  await context.route(`${FOLDER}/onnx/*`, async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    body[body.length >> 1] ^= 0xff;
    await route.fulfill({ response, body });
  });
  const shown = await loadModel(page, "webgpu");
  expect(shown).toContain("is corrupt");
  await expect(page.getByTestId("load-error")).toHaveAttribute("data-kind", "corrupt-file");
  await expect(page.getByTestId("model-kept")).toContainText("geozero-tiny is still loaded on wasm (q4)");
  await expect(page.getByTestId("ask")).toBeEnabled();
  await askGreedy(page, "Is there a river?", 3);
  await expect(page.getByTestId("run-stats")).toContainText("Done · 3 tokens");
});

test("the default model is the README's geozero-tiny, not the first folder in alphabetical order", async ({ page }) => {
  await page.route("**/model-cache/index.json", async (route) => {
    const response = await route.fetch();
    const entries = (await response.json()) as ModelEntry[];
    await route.fulfill({ response, json: [{ id: "a-first-folder", manifest: MANIFEST }, ...entries] });
  });
  await page.goto("/");
  await expect(page.getByTestId("model-select").locator("option")).toHaveCount(2, { timeout: 30_000 });
  await expect(page.getByTestId("model-select")).toHaveValue("geozero-tiny");
});

test("with a manifest, config.json's model type is still checked: a llava config is refused by name", async ({
  page,
  context,
}) => {
  await context.route(`${FOLDER}/config.json`, async (route) => {
    const response = await route.fetch();
    const config = (await response.json()) as Record<string, unknown>;
    await route.fulfill({ response, json: { ...config, model_type: "llava" } });
  });
  const weights: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/onnx/")) weights.push(r.url());
  });
  await page.goto("/");
  const shown = await loadModel(page, "wasm");
  expect(shown).toContain('config.json holds a "llava" model');
  expect(weights).toEqual([]);
  await expect(page.getByTestId("load-error")).toHaveAttribute("data-kind", "not-qwen3-vl");
  await expect(page.getByTestId("model-ready")).toHaveCount(0);
});

test("an edited config.json is a hash mismatch with both hashes, not a truncated file", async ({ page, context }) => {
  await context.route(`${FOLDER}/config.json`, async (route) => {
    const response = await route.fetch();
    const config = (await response.json()) as Record<string, unknown>;
    await route.fulfill({ response, body: JSON.stringify({ ...config, edited_by_hand: true }, null, 2) });
  });
  await page.goto("/");
  const shown = await loadModel(page, "wasm");
  expect(shown).toContain("config.json is corrupt");
  expect(shown).not.toContain("truncated");
  await expect(page.getByTestId("load-error")).toHaveAttribute("data-kind", "corrupt-file");
  await expect(page.getByTestId("failure-file-path")).toHaveText("config.json");
  const expected = MANIFEST.files.find((f) => f.path === "config.json")?.sha256 ?? "?";
  await expect(page.getByTestId("failure-file-expected")).toHaveText(expected);
});

for (const status of [403, 500]) {
  test(`a weight the server refuses with HTTP ${status} is named with its status, not as a missing file`, async ({
    page,
    context,
  }) => {
    await context.route(`${FOLDER}/onnx/decoder_model_merged_q4.onnx_data`, (route) =>
      route.fulfill({ status, body: "no" }),
    );
    await page.goto("/");
    const shown = await loadModel(page, "wasm");
    expect(shown).toContain(`HTTP ${status}`);
    expect(shown).toContain("onnx/decoder_model_merged_q4.onnx_data");
    expect(shown).not.toMatch(/missing|lacks this file/);
    await expect(page.getByTestId("load-error")).toHaveAttribute("data-kind", "http-error");
  });
}

test("load progress says it waits for a file's first bytes, and a WASM warm-up does not claim to compile shaders", async ({
  page,
  context,
}) => {
  let releaseWeights = () => {};
  const held = new Promise<void>((resolve) => {
    releaseWeights = resolve;
  });
  await context.route(`${FOLDER}/onnx/decoder_model_merged_q4.onnx_data`, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("/");
  await page.evaluate(() => {
    const lines: string[] = [];
    (window as unknown as { __progressLines: string[] }).__progressLines = lines;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="load-progress"]')?.textContent;
      if (text && lines[lines.length - 1] !== text) lines.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByTestId("device-select").selectOption("wasm");
  await page.getByTestId("load-model").click();
  await expect(page.getByTestId("load-progress")).toContainText(
    "Requesting onnx/decoder_model_merged_q4.onnx_data from the server; waiting for its first bytes",
    { timeout: 60_000 },
  );
  releaseWeights();
  await expect(page.getByTestId("model-ready")).toContainText("ready on wasm", { timeout: 170_000 });
  const lines = await page.evaluate(() => (window as unknown as { __progressLines: string[] }).__progressLines);
  expect(lines.some((line) => line.includes("Warming up: one short run on the CPU"))).toBe(true);
  expect(lines.filter((line) => /shader|Verifying/i.test(line))).toEqual([]);
});

type LoadHooks = {
  __geozero: {
    modelStore: typeof useModelStore;
    modelInWorker: () => Promise<{ device: string; dtype: string } | null>;
  };
};

/** Clicks Load and cancels the load from the page as soon as the worker reports `phase`. */
async function loadCancelledAt(page: Page, phase: LoadProgress["status"]): Promise<void> {
  await page.evaluate((at) => {
    const store = (window as unknown as LoadHooks).__geozero.modelStore;
    const stop = store.subscribe(({ load }) => {
      if (load.status !== "loading" || load.progress?.status !== at) return;
      stop();
      load.controller.abort();
    });
  }, phase);
  await page.getByTestId("load-model").click();
  await expect(page.getByTestId("load-progress")).toHaveCount(0, { timeout: 120_000 });
}

const inWorker = (page: Page) => page.evaluate(() => (window as unknown as LoadHooks).__geozero.modelInWorker());

test("a load cancelled in each phase leaves the panel naming the model the worker holds, and nothing else loaded", async ({
  page,
  context,
}) => {
  test.setTimeout(420_000);
  await page.goto("/");
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm (q4)");
  const wasm = { device: "wasm", dtype: "q4" };
  await page.getByTestId("device-select").selectOption("webgpu");

  // While the folder is checked, and during the download: the WASM model was never unloaded and still answers.
  await loadCancelledAt(page, "checking-folder");
  await expect(page.getByTestId("model-ready")).toContainText("ready on wasm (q4)");
  expect(await inWorker(page)).toMatchObject(wasm);
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await context.route(`${FOLDER}/onnx/*`, async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  await loadCancelledAt(page, "request");
  release();
  await context.unroute(`${FOLDER}/onnx/*`);
  await expect(page.getByTestId("model-ready")).toContainText("ready on wasm (q4)");
  expect(await inWorker(page)).toMatchObject(wasm);

  // While the WebGPU sessions are created, then while they warm up: the WASM model was unloaded to make room, the new
  // one is dropped, and the panel names no model (it said "ready on wasm" while questions ran on WebGPU).
  for (const phase of ["initialise", "warmup"] as const) {
    await loadCancelledAt(page, phase);
    expect(await inWorker(page), phase).toBeNull();
    await expect(page.getByTestId("model-ready")).toHaveCount(0);
    await expect(page.getByTestId("load-model")).toHaveText("Load model");
    await expect(page.getByTestId("ask")).toBeDisabled();
  }

  // Nothing half-loaded is left behind: the next load works and answers.
  expect(await loadModel(page, "wasm")).toContain("ready on wasm (q4)");
  expect(await inWorker(page)).toMatchObject(wasm);
  await askGreedy(page, "Is there a river?", 2);
  await expect(page.getByTestId("run-stats")).toContainText("Done · 2 tokens");
});
