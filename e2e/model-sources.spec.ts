import { expect, type Page, test } from "@playwright/test";
import { modelInputFor } from "../src/tasks/model-input-size";
import { askGreedy, cropExactly, loadModel } from "./support/model";
import { type ModelServer, startModelServer } from "./support/model-server";
import { recordForeignRequests } from "./support/requests";

let models: ModelServer;
test.beforeAll(async () => {
  models = await startModelServer();
});
test.afterAll(async () => {
  await models.close();
});
test.describe.configure({ mode: "serial" });

async function addRemote(page: Page, source: string): Promise<void> {
  await page.getByTestId("remote-enable").setChecked(true);
  await page.getByTestId("remote-source").fill(source);
  await page.getByTestId("remote-add").click();
  await expect(page.getByTestId("model-select")).toHaveValue(source);
}

test("by default remote models are off and loading and asking request nothing outside the origin", async ({
  page,
  baseURL,
}) => {
  const foreign = recordForeignRequests(page, baseURL ?? "");
  await page.goto("/");
  await expect(page.getByTestId("remote-enable")).not.toBeChecked();
  await expect(page.getByTestId("remote-source")).toHaveCount(0);
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await askGreedy(page, "What is here?", 2);
  expect(foreign.filter((url) => url.includes("huggingface.co") || url.includes("hf.co"))).toEqual([]);
  expect(foreign).toEqual([]);
});

test("a model folder at another origin loads from its URL, with its manifest's size, and answers", async ({ page }) => {
  await page.goto("/");
  const url = `${models.url}/models/geozero-tiny/`;
  await addRemote(page, url);
  await page.getByTestId("device-select").selectOption("wasm");
  await expect(page.getByTestId("device-choice")).toContainText("MB to load");
  const before = models.requests.length;
  expect(await loadModel(page, "wasm")).toContain(`${url} ready on wasm (q4)`);
  const fetched = models.requests.slice(before);
  expect(fetched).toContain("/models/geozero-tiny/onnx/decoder_model_merged_q4.onnx_data");

  // The pixel budget: a smaller max gives the size and token count shown before running, and the model gets that.
  await cropExactly(page, 448, 416);
  await page.getByTestId("max-pixels").fill(String(224 * 224));
  const expected = modelInputFor(448, 416, { minPixels: 4096, maxPixels: 224 * 224 });
  await expect(page.getByTestId("visual-tokens")).toContainText(
    `${expected.width} × ${expected.height} px (${expected.visualTokens} visual tokens)`,
  );
  await page.getByTestId("min-pixels").fill(String(300 * 300));
  await expect(page.getByTestId("budget-error")).toContainText("above max pixels");
  await expect(page.getByTestId("ask")).toBeDisabled();
  await page.getByTestId("min-pixels").fill("4096");
  await askGreedy(page, "What is here?", 2);
  await expect(page.getByTestId("run-input")).toHaveText(`Image sent as ${expected.width} × ${expected.height} px`);
});

test("a folder without a manifest loads with sizes unknown; a bad id, URL or server gets a message naming it", async ({
  page,
}) => {
  await page.goto("/");
  await page.getByTestId("remote-enable").setChecked(true);
  await page.getByTestId("remote-source").fill("not a model");
  await page.getByTestId("remote-add").click();
  await expect(page.getByTestId("remote-error")).toContainText('"not a model" is neither a Hugging Face model id');
  await page.getByTestId("remote-source").fill(`${models.url}/models/missing/`);
  await page.getByTestId("remote-add").click();
  await expect(page.getByTestId("remote-error")).toContainText("neither manifest.json (HTTP 404) nor config.json");
  // A plain file server without CORS, and a host where nothing listens: each named, with what to do.
  await page.getByTestId("remote-source").fill(`${models.url}/no-cors/models/geozero-tiny/`);
  await page.getByTestId("remote-add").click();
  await expect(page.getByTestId("remote-error")).toContainText(
    "the server answered but does not let this page read manifest.json (no CORS header)",
  );
  await page.getByTestId("remote-source").fill("http://127.0.0.1:9/models/geozero-tiny/");
  await page.getByTestId("remote-add").click();
  await expect(page.getByTestId("remote-error")).toContainText("the server cannot be reached");

  const url = `${models.url}/models/no-manifest/geozero-tiny/`;
  await addRemote(page, url);
  await page.getByTestId("device-select").selectOption("wasm");
  await expect(page.getByTestId("device-choice")).toContainText("Download size unknown");
  expect(await loadModel(page, "wasm")).toContain("ready on wasm (q4)");
  await cropExactly(page, 224, 224);
  await askGreedy(page, "What is here?", 2);
  await expect(page.getByTestId("run-stats")).toContainText("Done · 2 tokens");
});
