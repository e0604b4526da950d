import { expect, test } from "@playwright/test";
import { askGreedy, cropExactly, cropPng, greedyInNode, loadModel } from "./support/model";

const QUESTION = "What land cover dominates this scene?";

test.describe.configure({ mode: "serial" });

test("the demo model answers on WASM and on WebGPU with the same greedy text as the Node run", async ({ page }) => {
  // Two model loads and two generations, one on WebGPU emulated on the CPU (SwiftShader): minutes on 2 cores.
  test.setTimeout(480_000);
  await page.goto("/");
  await cropExactly(page);
  await expect(page.getByTestId("visual-tokens")).toContainText("448 × 416 px (182 visual tokens)");
  const png = await cropPng(page);

  expect(await loadModel(page, "wasm")).toContain("ready on wasm (q4)");
  const wasmText = await askGreedy(page, QUESTION, 8);
  await expect(page.getByTestId("run-stats")).toContainText("8 tokens");
  const nodeWasm = await greedyInNode(png, QUESTION, 8, {
    vision_encoder: "q4",
    embed_tokens: "fp32",
    decoder_model_merged: "q4",
  });
  expect(wasmText).toBe(nodeWasm);

  expect(await loadModel(page, "webgpu")).toContain("ready on webgpu (q4)");
  const webgpuText = await askGreedy(page, QUESTION, 4);
  const nodeWebgpu = await greedyInNode(png, QUESTION, 4, {
    vision_encoder: "q4",
    embed_tokens: "q4",
    decoder_model_merged: "q4",
  });
  expect(webgpuText).toBe(nodeWebgpu);
  expect(webgpuText.length).toBeGreaterThan(0);
});

test("tokens stream into the reasoning panel, stop leaves a marked result, and a second question runs", async ({
  page,
}) => {
  await page.goto("/");
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await page.getByTestId("system-prompt").setChecked(true);
  await page.getByTestId("decoding").selectOption("sample");
  await page.getByTestId("max-new-tokens").fill("400");
  await page.getByTestId("ask").click();
  // Random weights write no tags: the streamed text is reasoning until the end.
  await expect(page.getByTestId("think-text")).not.toBeEmpty({ timeout: 60_000 });
  const streamed = (await page.getByTestId("think-text").textContent()) ?? "";
  await page.getByTestId("stop").click();
  await expect(page.getByTestId("run-stats")).toContainText("Stopped by you");
  await expect(page.getByTestId("run-stopped")).toBeVisible();
  const kept = (await page.getByTestId("answer-text").textContent()) ?? "";
  expect(kept.startsWith(streamed.trim().slice(0, 5))).toBe(true);

  const second = await askGreedy(page, "Is there water?", 3);
  await expect(page.getByTestId("run-stats")).toContainText("Done · 3 tokens");
  expect(second.length).toBeGreaterThan(0);
});

test("a reload loads the model from the browser cache with no request for model weights", async ({ page }) => {
  await page.goto("/");
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  const requests: string[] = [];
  page.on("request", (r) => requests.push(new URL(r.url()).pathname));
  await page.reload();
  expect(await loadModel(page, "wasm")).toContain("from the browser cache");
  expect(requests.filter((path) => path.includes("/model-cache/geozero-tiny/onnx/"))).toEqual([]);
});
