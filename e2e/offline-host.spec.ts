import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, expect, test } from "@playwright/test";
import { askGreedy, cropExactly, loadModel } from "./support/model";
import {
  askForServiceWorker,
  buildApp,
  fromTheNetwork,
  nginxBinary,
  recordRequests,
  type SeenRequest,
  type StaticHost,
  type StaticServer,
  startStaticHost,
  untilReadyOffline,
  waitForMap,
} from "./support/offline";

const OLD = "1.0.0-old";
const NEW = "1.0.0-new";

let oldBuild: string;
let newBuild: string;
let host: StaticHost | null = null;
test.describe.configure({ mode: "serial" });
test.beforeAll(async () => {
  test.setTimeout(300_000);
  // Two deployments of the app under a sub-path that differ only in their version, as a release would.
  oldBuild = await buildApp("/geozero/", OLD);
  newBuild = await buildApp("/geozero/", NEW);
});
test.afterEach(async () => {
  await host?.stop();
  host = null;
});

function isSampleRead(request: SeenRequest): boolean {
  return request.url.endsWith("/geozero/sample/synthetic-sample.pmtiles") && request.method === "GET";
}

/** The scripts of a build, by the name they are requested with. */
function scriptsOf(buildDir: string): Set<string> {
  return new Set(readdirSync(join(buildDir, "assets")).filter((name) => name.endsWith(".js")));
}

const SERVERS: Array<{ server: StaticServer; name: string }> = [
  { server: "python", name: "python3 -m http.server" },
  { server: "nginx", name: "Debian's nginx" },
];

for (const { server, name } of SERVERS) {
  test(`under a sub-path of ${name}: offline after one visit; a new version is offered and, applied, runs alone`, async ({
    browser,
  }) => {
    test.setTimeout(480_000);
    test.skip(
      server === "nginx" && nginxBinary() === null,
      "nginx is not installed and cannot be here (not root on Debian)",
    );
    await offlineOnHost(browser, await startStaticHost(oldBuild, "geozero", server), server);
  });
}

async function offlineOnHost(browser: Browser, started: StaticHost, server: StaticServer): Promise<void> {
  host = started;
  const context = await browser.newContext();
  await askForServiceWorker(context);
  const page = await context.newPage();
  const firstVisit = recordRequests(page);
  await page.goto(started.url);
  await untilReadyOffline(page);
  // Python's server answers no range request, so the map's first reads of the sample failed; once the service worker
  // has taken the page over, the same page reads the sample again through it, from its whole copy. nginx answers
  // them itself.
  const fromWorker = server === "python";
  await expect
    .poll(
      () => firstVisit.filter((r) => isSampleRead(r) && r.status === 206 && r.fromServiceWorker === fromWorker).length,
    )
    .toBeGreaterThan(0);
  await waitForMap(page);
  await expect(page.getByTestId("app-version")).toHaveText(`Version ${OLD}`);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");

  await context.setOffline(true);
  const requests = recordRequests(page);
  await page.reload();
  await waitForMap(page);
  await expect(page.getByTestId("network-off")).toBeVisible();
  // Offline, the service worker answers the sample's range requests from its whole copy.
  const sample = requests.filter(isSampleRead);
  expect(sample.length).toBeGreaterThan(0);
  for (const request of sample) expect(request).toMatchObject({ status: 206, fromServiceWorker: true });
  expect(await loadModel(page, "wasm")).toContain("from the browser cache");
  await cropExactly(page, 64, 64);
  await askGreedy(page, "What is in this image?", 4);
  await expect(page.getByTestId("history-item")).toHaveCount(1);
  expect(fromTheNetwork(requests)).toEqual([]);

  // A new version is deployed while the laptop is offline; when the network comes back the open app finds it.
  started.deploy(newBuild);
  await context.setOffline(false);
  await expect(page.getByTestId("update-ready")).toBeVisible({ timeout: 60_000 });
  // Until the click, the page runs the old version, and a reload keeps it (the new one waits).
  await page.reload();
  await waitForMap(page);
  await expect(page.getByTestId("app-version")).toHaveText(`Version ${OLD}`);
  await expect(page.getByTestId("update-ready")).toBeVisible();
  // The Inspect view says so too (its page hides the side panel).
  await page.getByTestId("tab-inspect").click();
  await expect(page.getByTestId("inspect-view").getByTestId("update-ready")).toBeVisible();
  await page.getByTestId("tab-map").click();

  requests.length = 0;
  await page.getByTestId("apply-update").click();
  await expect(page.getByTestId("app-version")).toHaveText(`Version ${NEW}`, { timeout: 60_000 });
  await waitForMap(page);
  await expect(page.getByTestId("update-ready")).toBeHidden();
  await expect(page.getByTestId("history-item")).toHaveCount(1);

  // After the update only the new version's scripts run: none of the old build's that the new one lacks.
  const oldOnly = [...scriptsOf(oldBuild)].filter((name) => !scriptsOf(newBuild).has(name));
  expect(oldOnly.length).toBeGreaterThan(0);
  const scripts = requests.filter((r) => /\/assets\/[^/]+\.js$/.test(r.url)).map((r) => r.url.split("/").pop());
  expect(scripts.length).toBeGreaterThan(0);
  expect(scripts.filter((name) => oldOnly.includes(name ?? ""))).toEqual([]);

  // And the new version works offline in turn, its model still in the cache.
  await context.setOffline(true);
  await page.reload();
  await waitForMap(page);
  await expect(page.getByTestId("app-version")).toHaveText(`Version ${NEW}`);
  expect(await loadModel(page, "wasm")).toContain("from the browser cache");
  await context.close();
}
