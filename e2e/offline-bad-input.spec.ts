import { expect, type Page, test } from "@playwright/test";
import { MODEL_CACHE } from "../src/model/model-files";
import { OFFLINE_CACHE_PREFIX, TEST_SERVICE_WORKER_KEY } from "../src/offline/cache-layout";
import { loadModel } from "./support/model";
import { openReadyOffline, untilReadyOffline, waitForMap } from "./support/offline";

/** Asks the test build for its service worker from the next load on (this page ran without one). */
async function registerFromNextLoad(page: Page): Promise<void> {
  await page.evaluate((key) => localStorage.setItem(key, "1"), TEST_SERVICE_WORKER_KEY);
}

test("storage too small for the app: offline use is unavailable, says so, and the app runs online", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/");
  const cdp = await context.newCDPSession(page);
  // The site may keep 1 MB: far less than the app's 22 MB.
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(page.url()).origin, quotaSize: 1_000_000 });
  await registerFromNextLoad(page);
  await page.reload();
  await expect(page.getByTestId("offline-unavailable")).toContainText(
    "Offline use is unavailable: the browser would not store the app",
    { timeout: 120_000 },
  );
  await expect(page.getByTestId("offline-unavailable")).toContainText("The app works online as usual.");
  await expect(page.getByTestId("offline-ready")).toBeHidden();
  await waitForMap(page);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await context.close();
});

test("an older version's caches are cleared when the service worker takes over; the model files are kept", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/");
  const scope = new URL("/", page.url()).href;
  const old = [`${OFFLINE_CACHE_PREFIX}-precache-v0-${scope}`, `workbox-precache-v2-${scope}`];
  const otherScope = `${OFFLINE_CACHE_PREFIX}-precache-v0-${new URL("/elsewhere/", page.url()).href}`;
  await page.evaluate(
    async (names) => {
      for (const name of names) await (await caches.open(name)).put("/stale", new Response("an older layout"));
    },
    [...old, otherScope, MODEL_CACHE],
  );
  await registerFromNextLoad(page);
  await page.reload();
  await untilReadyOffline(page);
  await expect.poll(() => page.evaluate(() => caches.keys())).not.toEqual(expect.arrayContaining([old[0]]));
  const names = await page.evaluate(() => caches.keys());
  for (const name of old) expect(names).not.toContain(name);
  expect(names).toContain(otherScope);
  expect(names).toContain(MODEL_CACHE);
  await context.close();
});

test("model files the browser evicted: offline, the model list says the model needs the network and how much is gone", async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const { context, page } = await openReadyOffline(browser);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  // Storage pressure: the browser drops some of the model's files (here, every .onnx_data one).
  const evicted = await page.evaluate(async (name) => {
    const cache = await caches.open(name);
    const gone = (await cache.keys()).filter((request) => request.url.endsWith(".onnx_data"));
    for (const request of gone) await cache.delete(request);
    return gone.length;
  }, MODEL_CACHE);
  expect(evicted).toBeGreaterThan(0);

  await context.setOffline(true);
  await page.reload();
  await waitForMap(page);
  await expect(page.getByTestId("model-select").locator("option", { hasText: "geozero-tiny" })).toContainText(
    "needs the network",
  );
  await expect(page.getByTestId("model-needs-network")).toContainText(
    /geozero-tiny \(.+\) needs the network: \d+ of its \d+ files are no longer in this browser's cache/,
  );
  await expect(page.getByTestId("load-model")).toBeDisabled();

  // Back online, it loads again, fetching what is missing.
  await context.setOffline(false);
  await expect(page.getByTestId("model-needs-network")).toBeHidden();
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await context.close();
});
