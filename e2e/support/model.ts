import { resolve } from "node:path";
import { AutoProcessor, env, RawImage } from "@huggingface/transformers";
import type { Page } from "@playwright/test";
import { PNG } from "pngjs";
import { lngLatToWorldPixel, worldPixelToLngLat } from "../../src/geo/mercator";
import { Generator } from "../../src/model/generation/generator";
import { promptFromInstruction } from "../../src/model/generation/inputs";
import type { GenerateResult } from "../../src/model/messages";
import { loadModelFolder } from "../../src/model/node-folder";
import { GeoZeroQwen3VL } from "../../src/model/qwen3-vl/model";
import type { useModelStore } from "../../src/state/model-store";
import type { useAppStore } from "../../src/state/store";
import { TASK_DECODING } from "../../src/tasks/prompts";

type Hooks = { __geozero: { store: typeof useAppStore } };

/** Selects a window of exactly `width × height` px at zoom 17 whose top-left pixel holds `topLeft` (lng, lat). */
export async function selectExactly(
  page: Page,
  topLeft: [number, number],
  width: number,
  height: number,
): Promise<void> {
  const [x, y] = lngLatToWorldPixel(topLeft, 17);
  const [left, top] = [Math.round(x), Math.round(y)];
  const [west, north] = worldPixelToLngLat([left, top], 17);
  const [east, south] = worldPixelToLngLat([left + width, top + height], 17);
  await page.evaluate(
    (bbox) => {
      const store = (window as unknown as Hooks).__geozero.store.getState();
      store.setRectangle(bbox);
      store.setCropZoom(17);
    },
    { west, south, east, north },
  );
}

/** Selects and crops a window of exactly `width × height` px at zoom 17 in the sample area: no resize before the model. */
export async function cropExactly(page: Page, width = 448, height = 416): Promise<void> {
  await selectExactly(page, [9.999, 48.006], width, height);
  await page.getByTestId("crop-button").click();
  await page.getByTestId("crop-preview").waitFor();
}

/** The PNG of the current crop, as the page holds it. */
export async function cropPng(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(async () => {
    const last = (window as unknown as Hooks).__geozero.store.getState().lastImage;
    if (!last) throw new Error("no crop");
    const bytes = new Uint8Array(await last.image.png.arrayBuffer());
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary);
  });
  return Buffer.from(base64, "base64");
}

/** Loads the model on a device from the Model panel and waits until it is ready. */
export async function loadModel(page: Page, device: "webgpu" | "wasm"): Promise<string> {
  await page.getByTestId("device-select").selectOption(device);
  await page.getByTestId("load-model").click();
  await page.locator('[data-testid="model-ready"], [data-testid="load-error"]').waitFor({ timeout: 170_000 });
  return (await page.locator('[data-testid="model-ready"], [data-testid="load-error"]').textContent()) ?? "";
}

type Decoding = "greedy" | "sample" | "beam";

/** Sets the decoding, the token limit and, where given, the system prompt and the question, then clicks Ask. */
export async function startAsking(
  page: Page,
  settings: { decoding: Decoding; maxNewTokens: number; systemPrompt?: boolean; question?: string },
): Promise<void> {
  if (settings.systemPrompt !== undefined) await page.getByTestId("system-prompt").setChecked(settings.systemPrompt);
  await page.getByTestId("decoding").selectOption(settings.decoding);
  await page.getByTestId("max-new-tokens").fill(String(settings.maxNewTokens));
  if (settings.question !== undefined) await page.getByTestId("question").fill(settings.question);
  await page.getByTestId("ask").click();
}

/** Waits until the run has ended, done or failed. */
export async function waitForRunEnd(page: Page, timeout = 170_000): Promise<void> {
  await page.waitForFunction(
    () => /^(Done|Failed)/.test(document.querySelector('[data-testid="run-stats"]')?.textContent ?? ""),
    null,
    { timeout },
  );
}

/** Asks with greedy decoding and the system prompt off, waiting for the end; returns the answer text shown. */
export async function askGreedy(page: Page, question: string, maxNewTokens: number): Promise<string> {
  await startAsking(page, { decoding: "greedy", maxNewTokens, systemPrompt: false, question });
  await waitForRunEnd(page);
  return (await page.getByTestId("answer-text").textContent()) ?? "";
}

/** The same question answered in Node: the app's generation module on onnxruntime-node, loading the same folder. */
export async function greedyInNode(
  png: Buffer,
  question: string,
  maxNewTokens: number,
  dtype: Record<string, string>,
): Promise<string> {
  env.allowRemoteModels = false;
  env.localModelPath = resolve("model-cache");
  const decoded = PNG.sync.read(png);
  const image = new RawImage(new Uint8ClampedArray(decoded.data), decoded.width, decoded.height, 4).rgb();
  const processor = await AutoProcessor.from_pretrained("geozero-tiny");
  const model = await GeoZeroQwen3VL.from_pretrained("geozero-tiny", { dtype: dtype as unknown as "q4" });
  const generator = new Generator(model, processor.tokenizer as never);
  const prompt = await promptFromInstruction(processor, image, question, false);
  const output = await generator.generate(prompt, { kind: "greedy", maxNewTokens });
  generator.dispose();
  await model.dispose();
  return output.text.trim();
}

type ModelHooks = { __geozero: { modelStore: typeof useModelStore } };

/** The finished run's result as the page holds it: token ids and the bytes that crossed to the CPU. */
export async function lastRunResult(page: Page): Promise<GenerateResult> {
  const result = await page.evaluate(
    () => (window as unknown as ModelHooks).__geozero.modelStore.getState().run?.result ?? null,
  );
  if (!result) throw new Error("no finished run");
  return result;
}

/** The app's beam search (captioning's settings) on the same crop in Node, on the folder's q4 weights. */
export async function beamsInNode(png: Buffer, question: string, maxNewTokens: number): Promise<number[]> {
  const decoded = PNG.sync.read(png);
  const image = new RawImage(new Uint8ClampedArray(decoded.data), decoded.width, decoded.height, 4).rgb();
  const { model, processor } = await loadModelFolder("model-cache/geozero-tiny", { dtype: "q4" });
  const generator = new Generator(model, processor.tokenizer as never);
  const prompt = await promptFromInstruction(processor, image, question, false);
  const decoding = TASK_DECODING.caption;
  if (decoding.kind !== "beam") throw new Error("captioning is expected to use beams");
  const output = await generator.generate(prompt, { ...decoding, maxNewTokens });
  generator.dispose();
  await model.dispose();
  return output.tokenIds;
}
