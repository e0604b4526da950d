import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, expect, type Page, test } from "@playwright/test";
import { chromiumArgs } from "../playwright.config";
import { browserExecutable } from "../tools/browser/find";
import {
  buildEnd,
  buildKey,
  buildProgress,
  builtFileHashes,
  checkBuild,
  commandLineHashes,
  TINY_REPO,
  TINY_SNAPSHOT,
  TINY_SUBFOLDER,
} from "./support/build";
import { type HubRequest, type LocalHub, startLocalHub } from "./support/local-hub";
import { askGreedy, cropExactly, cropPng, greedyInNode, loadModel } from "./support/model";

let hub: LocalHub;
let reference: Map<string, string>;
test.beforeAll(async () => {
  hub = await startLocalHub({ repos: [{ id: TINY_REPO, dir: TINY_SNAPSHOT, subfolder: TINY_SUBFOLDER }] });
  reference = await commandLineHashes("q4");
});
test.afterAll(async () => {
  await hub.close();
});
test.afterEach(() => {
  hub.clearFaults();
});
test.describe.configure({ mode: "serial" });

/** Files the manifest lists, but for the manifest's own source fields: equal to the command line's, byte for byte. */
function expectSameFiles(built: Map<string, string>) {
  expect([...built.keys()].sort()).toEqual([...reference.keys()].sort());
  for (const [path, sha256] of reference) expect({ path, sha256: built.get(path) }).toEqual({ path, sha256 });
}

/** A normal browser profile (storage on disk), as a user's window. */
async function normalProfile(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "build-profile-")), {
    executablePath: browserExecutable(),
    args: chromiumArgs,
    viewport: { width: 1400, height: 900 },
  });
  return { context, page: context.pages()[0] ?? (await context.newPage()) };
}

test("the tiny model built from the hub has the bytes of npm run convert, loads and answers as Node's copy (private window)", async ({
  page,
}) => {
  await page.goto("/");
  await checkBuild(page, hub.url);
  const preview = page.getByTestId("build-preview");
  await expect(preview).toContainText(`${TINY_REPO}@${hub.commit().slice(0, 7)}/${TINY_SUBFOLDER}`);
  await expect(preview).toContainText("qwen3_vl · q4");
  await expect(page.getByTestId("build-kept")).toContainText("Keeps");
  await expect(page.getByTestId("build-storage")).toContainText("free for this site");
  // SwiftShader is this machine's only WebGPU: said before anything large is downloaded.
  await expect(page.getByTestId("build-device")).toContainText("a software renderer");
  await expect(page.getByTestId("build-start")).toHaveText("Build anyway");
  // Before Build, only the config, index, headers, tokenizer files and one piece to measure the rate were read.
  const beforeBuild = hub.bytesServed({ file: /safetensors$/ });
  expect(beforeBuild).toBeLessThan(9 * 1024 * 1024);
  await page.getByTestId("build-start").click();
  expect(await buildEnd(page)).toContain("Built");
  const key = await buildKey(page);
  expect(key).toContain(hub.commit().slice(0, 12));
  expectSameFiles(await builtFileHashes(page, key));
  await expect(page.getByTestId("built-model")).toContainText(
    `Built in this browser from ${TINY_REPO}/${TINY_SUBFOLDER} at ${hub.commit().slice(0, 7)}`,
  );

  // It loads from the browser's storage (no request for its files) and answers as the command line's copy in Node.
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  await cropExactly(page, 224, 224);
  // A q4 build has a 4-bit embedding, which only WebGPU gathers (here SwiftShader, as a user may force it).
  expect(await loadModel(page, "webgpu")).toContain("ready on webgpu (q4)");
  expect(requests.filter((url) => url.includes("/onnx/") || url.startsWith(hub.url))).toEqual([]);
  const answer = await askGreedy(page, "What is in this image?", 4);
  expect(answer).toBe(
    await greedyInNode(await cropPng(page), "What is in this image?", 4, {
      vision_encoder: "q4",
      embed_tokens: "q4",
      decoder_model_merged: "q4",
    }),
  );

  // Deleting it frees its storage and says how much.
  await page.getByTestId("built-delete").click();
  await expect(page.getByTestId("build-notice")).toContainText(
    /Deleted .*: \d+(\.\d+)? MB of the browser's storage freed/,
  );
  await expect(page.getByTestId("model-select").locator(`option[value="${key}"]`)).toHaveCount(0);
});

test("a reload half-way resumes from the last piece written: the first half is not requested again (normal profile)", async ({
  baseURL,
}) => {
  const { context, page } = await normalProfile();
  page.on("dialog", (dialog) => void dialog.accept());
  try {
    await page.goto(baseURL ?? "/");
    // Slow enough to stop it half-way, with hundreds of pieces (a tiny model is built in slices of 256 KiB).
    hub.fail({ kind: "slow", bytesPerSecond: 4_000_000, times: Number.POSITIVE_INFINITY, origin: "cdn" });
    await checkBuild(page, hub.url);
    hub.clearRequests();
    await page.getByTestId("build-start").click();
    await expect
      .poll(
        async () => {
          const { readBytes, totalBytes } = await buildProgress(page);
          return totalBytes > 0 ? readBytes / totalBytes : 0;
        },
        { timeout: 120_000 },
      )
      .toBeGreaterThan(0.5);
    const before = hub.requestsFor({ file: /safetensors$/ }).filter((r) => r.done);
    await page.reload();
    hub.clearRequests();
    hub.clearFaults();
    await expect(page.getByTestId("build-unfinished-item")).toContainText(/stopped at [5-9]\d %/);
    await page.getByTestId("build-resume").click();
    expect(await buildEnd(page)).toContain("Built");
    const after = hub.requestsFor({ file: /safetensors$/ });
    const again = overlap(before, after);
    const total = before.reduce((sum, r) => sum + r.bytesSent, 0);
    // What came in since the build last saved where it stands (every 250 ms, later when the machine is loaded: 2.6 MB
    // in one CI run) and the pieces in flight then are read again; a resume from zero would read all of it again.
    expect(again).toBeLessThan(total * 0.25);
    expectSameFiles(await builtFileHashes(page, await buildKey(page)));
  } finally {
    await context.close();
  }
});

test("storage that runs out mid-build stops with the bytes still needed; once space is freed, Resume finishes from there (normal profile)", async ({
  baseURL,
}) => {
  const { context, page } = await normalProfile();
  try {
    await page.goto(baseURL ?? "/");
    await checkBuild(page, hub.url);
    // The site may keep 18 MB more than it holds, less than the tiny q4 model and its tokenizer (24 MB). Chromium applies this to OPFS
    // writes but not to estimate(): the check before the build passes, and the storage runs out part-way, as when
    // another tab fills it.
    const cdp = await context.newCDPSession(page);
    const origin = new URL(page.url()).origin;
    const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: usage + 18_000_000 });
    hub.clearRequests();
    await page.getByTestId("build-start").click();
    const error = page.getByTestId("build-error");
    await expect(error).toContainText(/storage for this site is full: \d+(\.\d+)? (bytes|kB|MB) more are needed/, {
      timeout: 120_000,
    });
    await expect(error).toContainText("the finished pieces are kept");
    // What the stopped build had converted, as the list of unfinished builds says.
    const stopped = await page.getByTestId("build-unfinished-item").textContent();
    const stoppedAt = Number(/stopped at (\d+) %/.exec(stopped ?? "")?.[1]);
    expect(stoppedAt).toBeGreaterThan(0);
    // Space freed: Resume finishes, and reads the part not converted yet, not the whole checkpoint again.
    await cdp.send("Storage.overrideQuotaForOrigin", { origin });
    hub.clearRequests();
    await page.getByTestId("build-retry").click();
    expect(await buildEnd(page)).toContain("Built");
    const source = sourceBytes();
    expect(hub.bytesServed({ file: /safetensors$/ })).toBeLessThan(source * (1 - stoppedAt / 100 + 0.25));
    expectSameFiles(await builtFileHashes(page, await buildKey(page)));
  } finally {
    await context.close();
  }
});

/** Bytes of the tiny checkpoint's shards. */
function sourceBytes(): number {
  return readdirSync(TINY_SNAPSHOT)
    .filter((name) => name.endsWith(".safetensors"))
    .reduce((sum, name) => sum + statSync(join(TINY_SNAPSHOT, name)).size, 0);
}

/** Bytes that the reads `b` asked of a file which the finished reads `a` had sent already (ranges end inclusive). */
function overlap(a: readonly HubRequest[], b: readonly HubRequest[]): number {
  let bytes = 0;
  for (const x of b) {
    for (const y of a) {
      if (!x.asked || !y.asked || x.file !== y.file) continue;
      bytes += Math.max(0, Math.min(x.asked.end, y.asked.end) - Math.max(x.asked.start, y.asked.start) + 1);
    }
  }
  return bytes;
}
