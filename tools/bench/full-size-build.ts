/**
 * The browser build of the `full-size` benchmark: the 8B-shaped checkpoint served by the local hub on 127.0.0.1 (as
 * huggingface.co serves a repository folder: API, resolve URLs, a redirect to a second origin for large files), built
 * in headless Chromium through the Model panel's Build (normal profile), timed and with the browser's processes'
 * memory sampled; then a second build stopped by a reload half-way and resumed, counting the bytes requested again.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { chromium, type Page } from "@playwright/test";
import { buildEnd, buildProgress, checkBuild } from "../../e2e/support/build";
import { type HubRequest, startLocalHub } from "../../e2e/support/local-hub";
import { chromiumArgs } from "../../playwright.config";
import { browserExecutable } from "../browser/find";
import { memoryWatch, openApp, serveApp, treeMemory } from "./full-size-browser.ts";

const REPO = "bench/GeoZero";
const SUBFOLDER = "GeoZero-8B-shaped";

/** What the browser build measured. */
export interface BrowserBuild {
  seconds: number;
  /** bytes the hub and its CDN sent for the shards */
  downloadedBytes: number;
  memory: { before: { rssBytes: number; pssBytes: number }; peak: { rssBytes: number; pssBytes: number } };
  /** each built file's SHA-256, as the build's manifest records it */
  files: Record<string, string>;
  resume: { stoppedAtFraction: number; requestedAgainBytes: number; pieceBytes: number; seconds: number } | null;
  error: string | null;
}

/** How fast the page and Node download the same shard from the local hub, without converting anything. */
export interface DownloadRates {
  /** bytes/s in the page, by range size, 24 requests one after another */
  browser: Record<string, number>;
  node: number;
}

const RATE_REQUESTS = 24;

/** Reads the first ranges of a shard one after another; bytes per second. */
async function sequentialRate(read: (start: number, end: number) => Promise<number>, piece: number): Promise<number> {
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < RATE_REQUESTS; i++) bytes += await read(i * piece, (i + 1) * piece - 1);
  return bytes / ((performance.now() - started) / 1000);
}

/**
 * The download rates the build is bounded by: the page fetching 8 MiB ranges (a build's slice) and 32 MiB ones from
 * the same hub as the build, and Node fetching 8 MiB ones.
 */
async function downloadRates(page: Page, shardUrl: string): Promise<DownloadRates> {
  const browser: Record<string, number> = {};
  for (const piece of [8 << 20, 32 << 20]) {
    browser[`${piece >> 20} MiB`] = await page.evaluate(
      async ({ url, piece, requests }) => {
        const started = performance.now();
        let bytes = 0;
        for (let i = 0; i < requests; i++) {
          const range = `bytes=${i * piece}-${(i + 1) * piece - 1}`;
          bytes += (await (await fetch(url, { headers: { range } })).arrayBuffer()).byteLength;
        }
        return bytes / ((performance.now() - started) / 1000);
      },
      { url: shardUrl, piece, requests: RATE_REQUESTS },
    );
  }
  const node = await sequentialRate(async (start, end) => {
    const response = await fetch(shardUrl, { headers: { range: `bytes=${start}-${end}` } });
    return (await response.arrayBuffer()).byteLength;
  }, 8 << 20);
  return { browser, node };
}

/** The build's files and their SHA-256 from the manifest the build wrote in the browser's storage. */
async function builtManifest(page: Page): Promise<Record<string, string>> {
  const key = await page.getByTestId("model-select").inputValue();
  return page.evaluate(async (folder) => {
    const root = await navigator.storage.getDirectory();
    const dir = await (await root.getDirectoryHandle("geozero-builds")).getDirectoryHandle(folder);
    const text = await (await (await dir.getFileHandle("manifest.json")).getFile()).text();
    const manifest = JSON.parse(text) as { files: { path: string; sha256: string }[] };
    return Object.fromEntries(manifest.files.map((f) => [f.path, f.sha256]));
  }, key);
}

/** Bytes that the reads `b` asked of a file which the finished reads `a` had sent already. */
function overlap(a: readonly HubRequest[], b: readonly HubRequest[]): number {
  const byFile = new Map<string, { start: number; end: number }[]>();
  for (const y of a) if (y.asked && y.file) byFile.set(y.file, [...(byFile.get(y.file) ?? []), y.asked]);
  let bytes = 0;
  for (const x of b) {
    if (!x.asked || !x.file) continue;
    for (const y of byFile.get(x.file) ?? [])
      bytes += Math.max(0, Math.min(x.asked.end, y.end) - Math.max(x.asked.start, y.start) + 1);
  }
  return bytes;
}

/** Builds the snapshot at `dtype` in a fresh normal profile; `stopAt` reloads the page at that fraction and resumes. */
async function buildOnce(
  url: string,
  hubUrl: string,
  hub: Awaited<ReturnType<typeof startLocalHub>>,
  profileRoot: string,
  stopAt: number | null,
) {
  const profile = resolve(await mkdtemp(join(profileRoot, "build-profile-")));
  const marker = `--user-data-dir=${profile}`;
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserExecutable(),
    args: chromiumArgs,
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = await openApp(context, url);
    page.on("dialog", (dialog) => void dialog.accept());
    await checkBuild(page, hubUrl, { repo: REPO, subfolder: SUBFOLDER, dtype: "q4" });
    hub.clearRequests();
    const before = treeMemory(marker);
    const memory = memoryWatch(marker);
    const started = performance.now();
    await page.getByTestId("build-start").click();
    let resume: BrowserBuild["resume"] = null;
    if (stopAt !== null) {
      for (;;) {
        const { readBytes, totalBytes } = await buildProgress(page);
        if (totalBytes > 0 && readBytes / totalBytes >= stopAt) break;
        await new Promise((done) => setTimeout(done, 500));
      }
      const { readBytes, totalBytes } = await buildProgress(page);
      const finished = hub.requestsFor({ file: /safetensors$/ }).filter((r) => r.done);
      await page.reload();
      hub.clearRequests();
      await page.getByTestId("build-resume").click();
      const resumedAt = performance.now();
      const text = await buildEnd(page, 0);
      const again = overlap(finished, hub.requestsFor({ file: /safetensors$/ }));
      resume = {
        stoppedAtFraction: readBytes / totalBytes,
        requestedAgainBytes: again,
        pieceBytes: 8 * 1024 * 1024,
        seconds: (performance.now() - resumedAt) / 1000,
      };
      if (!text.includes("Built")) throw new Error(`the resumed build failed: ${text}`);
    }
    const text = await buildEnd(page, 0);
    const seconds = (performance.now() - started) / 1000;
    const peak = memory.stop();
    const downloadedBytes = hub.bytesServed({ file: /safetensors$/ });
    const error = text.includes("Built") ? null : text;
    const files = error ? {} : await builtManifest(page);
    return { seconds, downloadedBytes, memory: { before, peak }, files, resume, error };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** {@link downloadRates} in a fresh private window on the app's page. */
async function measureRates(appUrl: string, shardUrl: string): Promise<DownloadRates> {
  const browser = await chromium.launch({ executablePath: browserExecutable(), args: chromiumArgs });
  try {
    return await downloadRates(await openApp(await browser.newContext(), appUrl), shardUrl);
  } finally {
    await browser.close();
  }
}

/** The browser build of `snapshotDir` (q4), then a build stopped half-way by a reload and resumed. */
export async function buildInBrowser(options: {
  snapshotDir: string;
  profileRoot: string;
  distDir: string;
  resume: boolean;
}): Promise<{ whole: BrowserBuild; resumed: BrowserBuild | null; downloadRates: DownloadRates }> {
  const hub = await startLocalHub({ repos: [{ id: REPO, dir: options.snapshotDir, subfolder: SUBFOLDER }] });
  const server = await serveApp(options.distDir);
  try {
    await hub.hashesReady();
    const rates = await measureRates(
      server.url,
      `${hub.url}/${REPO}/resolve/main/${SUBFOLDER}/model-00002-of-00004.safetensors`,
    );
    const whole = await buildOnce(server.url, hub.url, hub, options.profileRoot, null);
    const resumed = options.resume ? await buildOnce(server.url, hub.url, hub, options.profileRoot, 0.5) : null;
    return { whole, resumed, downloadRates: rates };
  } finally {
    await server.close();
    await hub.close();
  }
}
