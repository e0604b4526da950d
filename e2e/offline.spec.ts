import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, expect, test } from "@playwright/test";
import { chromiumArgs } from "../playwright.config";
import { OFFLINE_CACHE_PREFIX } from "../src/offline/cache-layout";
import { browserExecutable } from "../tools/browser/find";
import { type FixtureName, GeoTiffFixtures } from "./support/geotiffs";
import { openFiles, SET, setRecords } from "./support/inspect";
import { askGreedy, cropExactly, loadModel } from "./support/model";
import {
  askForServiceWorker,
  fromTheNetwork,
  installabilityErrors,
  openReadyOffline,
  parsedManifest,
  recordRequests,
  untilReadyOffline,
  waitForMap,
} from "./support/offline";

test("after one visit the app, the sample imagery and the cached tiny model work with the network off", async ({
  browser,
}) => {
  test.setTimeout(360_000);
  const { context, page } = await openReadyOffline(browser);
  // A private window cannot install an app (Chromium says "in-incognito" and nothing else); the installability
  // check runs in a normal profile below.
  expect(await installabilityErrors(page)).toEqual(["in-incognito"]);
  const manifest = await parsedManifest(page);
  expect(manifest.errors).toEqual([]);
  expect(JSON.parse(manifest.data)).toMatchObject({ display: "standalone", start_url: "./", scope: "./" });

  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await cropExactly(page, 64, 64);
  await askGreedy(page, "What is in this image?", 4);
  await expect(page.getByTestId("history-item")).toHaveCount(1);

  await context.setOffline(true);
  const requests = recordRequests(page);
  await page.reload();
  await waitForMap(page);
  await expect(page.getByTestId("network-off")).toBeVisible();
  await expect(page.getByTestId("offline-ready")).toBeVisible();
  await expect(page.getByTestId("history-item")).toHaveCount(1);

  // The sample archive is read by range, each range answered by the service worker from its whole cached copy.
  const sample = requests.filter((r) => r.url.endsWith("/sample/synthetic-sample.pmtiles") && r.method === "GET");
  expect(sample.length).toBeGreaterThan(0);
  for (const request of sample) expect(request).toMatchObject({ status: 206, fromServiceWorker: true });
  expect(sample.every((r) => r.range?.startsWith("bytes="))).toBe(true);

  // The model list says the tiny model is kept here; it loads with no request for any model file.
  await expect(page.getByTestId("model-select").locator("option", { hasText: "geozero-tiny" })).toContainText(
    "in this browser",
  );
  await expect(page.getByTestId("model-kept-offline")).toBeVisible();
  requests.length = 0;
  expect(await loadModel(page, "wasm")).toContain("from the browser cache");
  expect(requests.filter((r) => r.url.includes("/model-cache/"))).toEqual([]);
  expect(fromTheNetwork(requests)).toEqual([]);
  // The service worker keeps no copy of any model file: its caches hold the model list's index only.
  const offlineCacheKeys = await page.evaluate(async (prefix) => {
    const names = (await caches.keys()).filter((name) => name.startsWith(prefix));
    const keys = await Promise.all(
      names.map(async (name) => (await (await caches.open(name)).keys()).map((r) => r.url)),
    );
    return keys.flat();
  }, OFFLINE_CACHE_PREFIX);
  expect(offlineCacheKeys.filter((url) => url.includes("/model-cache/"))).toEqual([
    new URL("/model-cache/index.json", page.url()).href,
  ]);

  // A crop of the sample and a question work; the history keeps both answers.
  await cropExactly(page, 64, 64);
  await askGreedy(page, "What is in this image?", 4);
  await expect(page.getByTestId("history-item")).toHaveCount(2);
  expect(fromTheNetwork(requests)).toEqual([]);

  // Online sources say they need the network, naming themselves.
  await expect(page.getByTestId("source-select").locator("option", { hasText: "Esri" })).toContainText(
    "needs the network",
  );
  await page.getByTestId("source-select").selectOption({ label: "Esri World Imagery · needs the network" });
  await expect(page.getByTestId("source-needs-network")).toContainText("Esri World Imagery needs the network");
  await expect(page.getByTestId("urls-need-network")).toBeVisible();
  await expect(page.getByTestId("remote-needs-network")).toBeVisible();

  await context.setOffline(false);
  await expect(page.getByTestId("network-off")).toBeHidden();
  await expect(page.getByTestId("source-needs-network")).toBeHidden();
  await context.close();
});

test("installable: in a normal profile Chromium reports no installability error; the manifest asks for its own window", async ({
  baseURL,
}) => {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "offline-profile-")), {
    executablePath: browserExecutable(),
    args: chromiumArgs,
  });
  try {
    await askForServiceWorker(context);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(baseURL ?? "/");
    await untilReadyOffline(page);
    expect(await installabilityErrors(page)).toEqual([]);
    const manifest = await parsedManifest(page);
    expect(manifest.url).toBe(new URL("manifest.webmanifest", page.url()).href);
    expect(JSON.parse(manifest.data)).toMatchObject({ name: "GeoZero Web", display: "standalone" });
  } finally {
    await context.close();
  }
});

test("GeoTIFFs from this computer open offline: UTM and WGS 84 from the precache, a rarer CRS once it was used online", async ({
  browser,
}) => {
  const fixtures = new GeoTiffFixtures();
  const { context, page } = await openReadyOffline(browser);
  try {
    await context.setOffline(true);
    await page.reload();
    await waitForMap(page);
    const open = async (name: FixtureName) => {
      await page.getByTestId("geotiff-input").setInputFiles(fixtures.make(name).path);
    };
    await open("utm-north.tif");
    await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:utm-north.tif:/);
    await open("wgs84.tif");
    await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:wgs84.tif:/);
    // EPSG:2056 was never used in this browser: the file is refused with the reason, and the open file stays.
    await open("swiss-lv95.tif");
    await expect(page.getByTestId("geotiff-error")).toContainText(
      "swiss-lv95.tif: the definition of EPSG:2056 could not be loaded: this browser has not stored it yet and it needs the network once",
    );
    await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:wgs84.tif:/);

    // Used once online, it opens offline from then on.
    await context.setOffline(false);
    await open("swiss-lv95.tif");
    await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:swiss-lv95.tif:/);
    await context.setOffline(true);
    await page.reload();
    await waitForMap(page);
    await open("swiss-lv95.tif");
    await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:swiss-lv95.tif:/);
  } finally {
    await context.close();
    fixtures.remove();
  }
});

test("the Inspect view's records are there offline: the view opens from the stored app and its workspace is kept", async ({
  browser,
}) => {
  const { context, page } = await openReadyOffline(browser);
  try {
    await page.getByTestId("tab-inspect").click();
    await page.getByTestId("inspect-view").waitFor();
    await openFiles(page, { annotations: SET.annotations, results: SET.results });
    const records = setRecords().length;
    await expect(page.getByTestId("sample-row")).not.toHaveCount(0);
    const shownOnline = await page.getByTestId("sample-row").count();
    expect(shownOnline).toBeLessThanOrEqual(records);

    await context.setOffline(true);
    await page.reload();
    await page.getByTestId("inspect-view").waitFor();
    await expect(page.getByTestId("sample-row")).toHaveCount(shownOnline);
  } finally {
    await context.close();
  }
});
