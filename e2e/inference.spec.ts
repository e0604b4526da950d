import { expect, test } from "@playwright/test";
import type { useModelStore } from "../src/state/model-store";
import { askGreedy, cropExactly, cropPng, greedyInNode, loadModel, startAsking } from "./support/model";

type ModelHooks = { __geozero: { modelStore: typeof useModelStore } };

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

test("Stop ends the answer in the worker: the reasoning stays reasoning, and the next question starts at once", async ({
  page,
}) => {
  await page.goto("/");
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  // Long enough that a generation left running in the worker would hold the next question for minutes.
  await startAsking(page, { decoding: "sample", maxNewTokens: 3000, systemPrompt: true });
  // Random weights write no tags: the streamed text is reasoning until the end.
  await expect(page.getByTestId("think-text")).not.toBeEmpty({ timeout: 60_000 });
  const stoppedAt = await page.getByTestId("run-stats").textContent();
  await page.getByTestId("stop").click();
  await expect(page.getByTestId("run-stats")).toContainText("Stopped by you");
  await expect(page.getByTestId("run-stopped")).toBeVisible();
  // "Stopped" is the worker's own answer: its generation ended early and said so (a worker that ignored the abort
  // would answer after all 3000 tokens, or never be heard).
  const result = await page.evaluate(
    () => (window as unknown as ModelHooks).__geozero.modelStore.getState().run?.result,
  );
  expect(result?.stopped).toBe(true);
  expect(result?.tokens).toBeLessThan(3000);
  // Stopped before any <answer> tag: what it wrote is reasoning, and no answer is made up from it.
  const reasoning = (await page.getByTestId("think-text").textContent()) ?? "";
  expect(reasoning.trim().length).toBeGreaterThan(0);
  await expect(page.getByTestId("answer-text")).toHaveText("");
  const kept = await page.evaluate(() => {
    const run = (window as unknown as ModelHooks).__geozero.modelStore.getState().run;
    return { think: run?.answer.think, answer: run?.answer.answer };
  });
  expect(kept).toEqual({ think: reasoning, answer: "" });
  expect(stoppedAt).toMatch(/Generating · \d+ tokens/);

  // The next question's first token comes within seconds (image encode and prompt of a 224 px crop), not after the
  // stopped one's remaining thousands of tokens.
  const asked = Date.now();
  await startAsking(page, { decoding: "greedy", maxNewTokens: 3, systemPrompt: false, question: "Is there water?" });
  await page.waitForFunction(
    () => /^(Generating|Done) · [1-9]/.test(document.querySelector('[data-testid="run-stats"]')?.textContent ?? ""),
    null,
    { timeout: 20_000 },
  );
  expect(Date.now() - asked).toBeLessThan(20_000);
  await expect(page.getByTestId("run-stats")).toContainText("Done · 3 tokens", { timeout: 20_000 });
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
