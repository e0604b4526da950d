import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import type { ModelManifest } from "../src/model/manifest";
import { askGreedy, cropExactly, loadModel } from "./support/model";

const QUESTION = "Is there a river?";
const MANIFEST = JSON.parse(readFileSync("model-cache/geozero-tiny/manifest.json", "utf8")) as ModelManifest;
// The decoder's weights on the WASM load (q4).
const TARGET = "onnx/decoder_model_merged_q4.onnx_data";
const TARGET_URL = `**/model-cache/geozero-tiny/${TARGET}`;

test("a corrupt model file is named with its expected and actual SHA-256, and the good model loads after", async ({
  page,
  context,
}) => {
  let corruptSha = "";
  // The worker's downloads pass through the context's routes: one byte of the decoder's weights is flipped.
  await context.route(TARGET_URL, async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    body[body.length >> 1] ^= 0xff;
    corruptSha = createHash("sha256").update(body).digest("hex");
    await route.fulfill({ response, body });
  });
  await page.goto("/");
  await cropExactly(page, 224, 224);
  await page.getByTestId("question").fill(QUESTION);

  const shown = await loadModel(page, "wasm");
  expect(shown).toContain(`${TARGET} is corrupt`);
  const expected = MANIFEST.files.find((f) => f.path === TARGET)?.sha256;
  await expect(page.getByTestId("load-error")).toHaveAttribute("data-kind", "corrupt-file");
  await expect(page.getByTestId("failure-file-path")).toHaveText(TARGET);
  await expect(page.getByTestId("failure-file-expected")).toHaveText(expected ?? "?");
  await expect(page.getByTestId("failure-file-actual")).toHaveText(corruptSha);
  expect(corruptSha).not.toBe(expected);

  await context.unroute(TARGET_URL);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await expect(page.getByTestId("question")).toHaveValue(QUESTION);
  await expect(page.getByTestId("crop-preview")).toBeVisible();
  await askGreedy(page, QUESTION, 3);
  await expect(page.getByTestId("run-stats")).toContainText("Done · 3 tokens");
});

test("a model folder whose config is not Qwen3-VL is refused by name before any weight is fetched", async ({
  page,
  context,
}) => {
  await context.route("**/model-cache/geozero-tiny/manifest.json", (route) =>
    route.fulfill({ json: { ...MANIFEST, source: { ...MANIFEST.source, modelType: "llava" } } }),
  );
  const weights: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/onnx/")) weights.push(r.url());
  });
  await page.goto("/");
  const shown = await loadModel(page, "wasm");
  expect(shown).toContain('holds a "llava" model; GeoZero Web runs Qwen3-VL');
  await expect(page.getByTestId("load-error")).toHaveAttribute("data-kind", "not-qwen3-vl");
  expect(weights).toEqual([]);
});

type ErrorHooks = {
  __geozero: { errorTypesAcrossModelWorker: () => Promise<Array<{ name: string; typed: boolean }>> };
};

test("every error type the model worker's bundle registers reaches the page as its class, through the real worker", async ({
  page,
}) => {
  await page.goto("/");
  await page.waitForFunction(() => (window as unknown as ErrorHooks).__geozero != null);
  const types = await page.evaluate(() => (window as unknown as ErrorHooks).__geozero.errorTypesAcrossModelWorker());
  expect(types.map((t) => t.name)).toEqual(
    expect.arrayContaining([
      "ModelFileError",
      "UnsupportedModelError",
      "GpuLimitError",
      "DeviceLostError",
      "OutOfMemoryError",
      "CacheReorderMissingError",
      "FetchSourceError",
    ]),
  );
  expect(types.filter((t) => !t.typed)).toEqual([]);
});
