import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import type { ModelManifest } from "../src/model/manifest";
import { MODEL_CACHE } from "../src/model/model-files";
import { askGreedy, cropExactly, loadModel } from "./support/model";

const MANIFEST = JSON.parse(readFileSync("model-cache/geozero-tiny/manifest.json", "utf8")) as ModelManifest;
// The decoder's weights on the WASM load (q4).
const TARGET = "onnx/decoder_model_merged_q4.onnx_data";
const TARGET_URL = `**/model-cache/geozero-tiny/${TARGET}`;

/** Paths of the model files the app's cache holds. */
function cachedPaths(page: Page): Promise<string[]> {
  return page.evaluate(async (name) => {
    const keys = await (await caches.open(name)).keys();
    return keys.map((request) => new URL(request.url).pathname.replace("/model-cache/geozero-tiny/", ""));
  }, MODEL_CACHE);
}

test("a browser that will not store the model still loads it, from the server, and says so with its numbers", async ({
  page,
}) => {
  await page.goto("/");
  const cdp = await page.context().newCDPSession(page);
  // The site may keep 1 MB: far less than the model.
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(page.url()).origin, quotaSize: 1_000_000 });
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  const notice = page.getByTestId("model-not-cached");
  // Chromium refuses the writes; its estimate in the worker may still report the profile's usual free space.
  await expect(notice).toContainText(
    /the model's files need \d+ MB of storage and the browser (gives this site 1 MB|refused to store them, though it reports [\d,]+ MB free for this site)/,
  );
  await expect(notice).toContainText("will be downloaded again on the next load");
  expect(await cachedPaths(page)).toEqual([]);
  await askGreedy(page, "Is there water?", 2);
  await expect(page.getByTestId("run-stats")).toContainText("Done · 2 tokens");
});

test("a download cut off, or a page reloaded mid-download, leaves nothing half-cached; the next load fetches it again", async ({
  page,
  context,
}) => {
  const expected = MANIFEST.files.find((f) => f.path === TARGET);
  // First the connection drops halfway through the decoder's weights.
  await context.route(TARGET_URL, async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    await route.fulfill({ response, body: body.subarray(0, body.length >> 1) });
  });
  await page.goto("/");
  const bytes = expected?.bytes ?? 0;
  expect(await loadModel(page, "wasm")).toContain(`${TARGET} is corrupt`);
  await expect(page.getByTestId("load-error")).toContainText(`it is ${bytes >> 1} of ${bytes} bytes long`);
  const afterCut = await cachedPaths(page);
  expect(afterCut).toContain("config.json");
  expect(afterCut).not.toContain(TARGET);

  // Then the page is reloaded while the same file is on its way.
  await context.unroute(TARGET_URL);
  let arrived: () => void = () => {};
  const requested = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  await context.route(TARGET_URL, async () => {
    arrived(); // never answered: the download is in flight when the page goes
  });
  await page.getByTestId("device-select").selectOption("wasm");
  await page.getByTestId("load-model").click();
  await requested;
  await page.reload();
  expect(await cachedPaths(page)).not.toContain(TARGET);

  await context.unroute(TARGET_URL);
  const fetched: string[] = [];
  page.on("request", (request) => fetched.push(new URL(request.url()).pathname));
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  expect(fetched.filter((path) => path.endsWith(TARGET))).toHaveLength(1);
  expect(await cachedPaths(page)).toContain(TARGET);
});
