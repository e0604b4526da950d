/**
 * Browser side of the `full-size` benchmark: the app itself, built and served by `vite preview`, in headless
 * Chromium with a persistent profile (WebGPU on SwiftShader here). A model is picked and loaded in the Model panel
 * as a user would, a crop is asked about greedily, then the page is reloaded and the model loaded again from the
 * Cache API. Memory is sampled over the browser's own process tree (resident and proportional set sizes), JS heaps
 * of the page and the model worker through the DevTools protocol.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium, type Page } from "@playwright/test";
import { build, preview } from "vite";
import { cropExactly, cropPng } from "../../e2e/support/model";
import { chromiumArgs } from "../../playwright.config";
import type { useModelStore } from "../../src/state/model-store";
import { browserExecutable } from "../browser/find";
import { TEST_BUILD_MODE } from "../vite/test-build.ts";
import { workerHeapProbe } from "./inference-browser";

type Hooks = { __geozero: { modelStore: typeof useModelStore } };

/** Memory of a set of processes at one moment. */
interface MemorySample {
  rssBytes: number;
  pssBytes: number;
}

/** What one load measured. */
export interface BrowserLoad {
  seconds: number;
  fromCache: boolean;
  notCached: unknown;
  streamedWeights: boolean;
  /** seconds from the click to the first event of each load phase */
  phaseStarts: Record<string, number>;
  /** browser process tree before the click, at its peak during the load, and once ready */
  memory: { before: MemorySample; peak: MemorySample; after: MemorySample };
  /** peak JS heap in use: the page, the model worker */
  peakJsHeap: { page: number; worker: number };
  /** requests for the model's graph and weight files during the load */
  weightRequests: number;
  error: string | null;
}

/** What the whole browser run measured. */
export interface BrowserRun {
  chromium: string;
  adapter: { description: string; maxBufferSize: number; maxStorageBufferBindingSize: number } | null;
  cold: BrowserLoad;
  answer: {
    crop: { width: number; height: number };
    ttftSeconds: number;
    tokensPerSecond: number;
    totalSeconds: number;
    tokenIds: number[];
    text: string;
    transfers: { prefillBytesToCpu: number; decodeBytesToCpu: number; decodeSteps: number };
    memoryPeak: MemorySample;
    error: string | null;
  } | null;
  /** the crop as PNG, to run the same question in Node */
  cropPng: Buffer | null;
  cached: BrowserLoad | null;
}

/**
 * Processes whose ancestry leads to the Chromium whose command line holds `marker` (its user-data-dir, or the marker
 * flag of a private window's browser): its browser process and every child.
 */
function browserTree(marker: string): number[] {
  const parents = new Map<number, number>();
  let root = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      if (!root && readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker)) {
        const parent = parents.get(Number(name)) ?? 0;
        const parentLine = parent ? readFileSync(`/proc/${parent}/cmdline`, "utf8") : "";
        if (!parentLine.includes(marker)) root = Number(name);
      }
    } catch {
      // the process ended while we looked
    }
  }
  const tree = new Set(root ? [root] : []);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!tree.has(pid) && tree.has(parent)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

function kilobytes(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Summed resident (RSS) and proportional (PSS: shared pages split among their users) sizes of the tree. */
export function treeMemory(marker: string): MemorySample {
  let rssBytes = 0;
  let pssBytes = 0;
  for (const pid of browserTree(marker)) {
    try {
      rssBytes += kilobytes(readFileSync(`/proc/${pid}/status`, "utf8"), "VmRSS");
      pssBytes += kilobytes(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss");
    } catch {
      // the process ended while we looked
    }
  }
  return { rssBytes, pssBytes };
}

/** Samples the tree's memory every second until stopped; keeps the peak of each measure. */
export function memoryWatch(marker: string) {
  const peak: MemorySample = { rssBytes: 0, pssBytes: 0 };
  const sample = () => {
    const now = treeMemory(marker);
    peak.rssBytes = Math.max(peak.rssBytes, now.rssBytes);
    peak.pssBytes = Math.max(peak.pssBytes, now.pssBytes);
  };
  sample();
  const timer = setInterval(sample, 1000);
  return {
    stop(): MemorySample {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Samples the page's and the worker's JS heap every 2 s until stopped; keeps the peaks. */
function heapWatch(page: Page, workerHeap: () => Promise<number>) {
  const peak = { page: 0, worker: 0 };
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      const used = await page
        .evaluate(() => (performance as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0)
        .catch(() => 0);
      peak.page = Math.max(peak.page, used);
      peak.worker = Math.max(peak.worker, await workerHeap());
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample(), 2000);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      return peak;
    },
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Loads `modelId` on WebGPU from the Model panel, timing its phases; resolves when ready or failed. */
async function loadInPanel(
  page: Page,
  marker: string,
  workerHeap: () => Promise<number>,
  modelId: string,
): Promise<BrowserLoad> {
  await page.getByTestId("model-select").selectOption(modelId);
  await page.getByTestId("device-select").selectOption("webgpu");
  let weightRequests = 0;
  const countRequest = (request: { url(): string }) => {
    if (new URL(request.url()).pathname.startsWith(`/model-cache/${modelId}/onnx/`)) weightRequests++;
  };
  page.on("request", countRequest);
  await settle(3000);
  const before = treeMemory(marker);
  const memory = memoryWatch(marker);
  const heaps = heapWatch(page, workerHeap);
  const started = performance.now();
  await page.getByTestId("load-model").click();
  const phaseStarts: Record<string, number> = {};
  let state: { status: string; message?: string; seconds?: number } = { status: "loading" };
  while (state.status === "loading") {
    await settle(500);
    const seen = await page.evaluate(() => {
      const load = (window as unknown as Hooks).__geozero.modelStore.getState().load;
      return { load, progress: load.status === "loading" ? (load.progress?.status ?? null) : null };
    });
    state = seen.load as typeof state;
    const phase = seen.progress;
    if (phase && phaseStarts[phase] === undefined) phaseStarts[phase] = (performance.now() - started) / 1000;
  }
  const peak = memory.stop();
  const peakJsHeap = await heaps.stop();
  page.off("request", countRequest);
  const ready = state as unknown as BrowserLoad & { status: string; message?: string };
  return {
    seconds: ready.seconds ?? (performance.now() - started) / 1000,
    fromCache: ready.fromCache ?? false,
    notCached: ready.notCached ?? null,
    streamedWeights: ready.streamedWeights ?? false,
    phaseStarts,
    memory: { before, peak, after: treeMemory(marker) },
    peakJsHeap,
    weightRequests,
    error: state.status === "failed" ? (state.message ?? "failed") : null,
  };
}

/** Asks greedily about the current crop; waits as long as SwiftShader needs. */
async function askInPanel(page: Page, marker: string, question: string, maxNewTokens: number) {
  await page.getByTestId("system-prompt").setChecked(false);
  await page.getByTestId("decoding").selectOption("greedy");
  await page.getByTestId("max-new-tokens").fill(String(maxNewTokens));
  await page.getByTestId("question").fill(question);
  const memory = memoryWatch(marker);
  const started = performance.now();
  await page.getByTestId("ask").click();
  await page.waitForFunction(
    () => /^(Done|Failed)/.test(document.querySelector('[data-testid="run-stats"]')?.textContent ?? ""),
    null,
    { timeout: 0, polling: 1000 },
  );
  const totalSeconds = (performance.now() - started) / 1000;
  const memoryPeak = memory.stop();
  const run = await page.evaluate(() => {
    const current = (window as unknown as Hooks).__geozero.modelStore.getState().run;
    return current && { result: current.result, error: current.error, input: current.input };
  });
  const result = run?.result;
  return {
    ttftSeconds: (result?.ttftMs ?? 0) / 1000,
    tokensPerSecond: result?.tokensPerSecond ?? 0,
    totalSeconds,
    tokenIds: result?.tokenIds ?? [],
    text: result?.text ?? "",
    transfers: result?.transfers ?? { prefillBytesToCpu: 0, decodeBytesToCpu: 0, decodeSteps: 0 },
    memoryPeak,
    error: run?.error ?? null,
  };
}

async function adapterLimits(page: Page): Promise<BrowserRun["adapter"]> {
  return page.evaluate(async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const { maxBufferSize, maxStorageBufferBindingSize } = adapter.limits;
    return { description: adapter.info.description || adapter.info.vendor, maxBufferSize, maxStorageBufferBindingSize };
  });
}

export async function openApp(context: BrowserContext, url: string): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.waitForFunction(() => "__geozero" in window);
  await page.getByTestId("model-select").waitFor();
  return page;
}

/**
 * The browser run: build and serve the app, load `modelId` cold (empty profile), ask about a `cropSide`² crop,
 * reload, load again from the cache. `profileRoot` holds the temporary profile (the cached model: GBs).
 */
export async function runInBrowser(options: {
  modelId: string;
  question: string;
  maxNewTokens: number;
  cropSide: number;
  profileRoot: string;
  distDir: string;
}): Promise<BrowserRun> {
  const server = await serveApp(options.distDir);
  const { url } = server;
  // Absolute: Chromium's processes carry it in their command line, which is how the memory sampler finds them.
  const profile = resolve(await mkdtemp(join(options.profileRoot, "profile-")));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserExecutable(),
    args: [...chromiumArgs, "--enable-precise-memory-info"],
    viewport: { width: 1400, height: 900 },
  });
  const marker = `--user-data-dir=${profile}`;
  try {
    let page = await openApp(context, url);
    const workerHeap = await workerHeapProbe(page);
    const adapter = await adapterLimits(page);
    const cold = await loadInPanel(page, marker, workerHeap, options.modelId);
    let answer: BrowserRun["answer"] = null;
    let png: Buffer | null = null;
    if (!cold.error) {
      await cropExactly(page, options.cropSide, options.cropSide);
      png = await cropPng(page);
      answer = {
        crop: { width: options.cropSide, height: options.cropSide },
        ...(await askInPanel(page, marker, options.question, options.maxNewTokens)),
      };
    }
    await page.reload();
    page = await openApp(context, url);
    const cached = cold.error ? null : await loadInPanel(page, marker, await workerHeapProbe(page), options.modelId);
    const browser = await page.evaluate(() => navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? "");
    return { chromium: browser, adapter, cold, answer, cropPng: png, cached };
  } finally {
    await context.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** The app built for the tests and served by `vite preview` on a free port. */
export async function serveApp(distDir: string): Promise<{ url: string; close(): Promise<void> }> {
  await build({ mode: TEST_BUILD_MODE, logLevel: "warn", build: { outDir: distDir, emptyOutDir: true } });
  const server = await preview({
    logLevel: "warn",
    build: { outDir: distDir },
    preview: { host: "127.0.0.1", port: 0 },
  });
  return { url: server.resolvedUrls?.local[0] ?? "", close: () => server.close() };
}

/**
 * A cold load of `modelId` in a private window (an ephemeral browser context: storage in memory, as in Chrome's
 * incognito), the same phases and memory as the normal profile's, then one short question when it loaded.
 */
export async function loadInPrivateWindow(options: {
  modelId: string;
  question: string;
  maxNewTokens: number;
  cropSide: number;
  url: string;
}): Promise<{ load: BrowserLoad; quotaBytes: number | null; answer: Awaited<ReturnType<typeof askInPanel>> | null }> {
  const marker = `--geozero-bench-private=${process.pid}-${Date.now()}`;
  const browser = await chromium.launch({
    executablePath: browserExecutable(),
    args: [...chromiumArgs, "--enable-precise-memory-info", marker],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await openApp(context, options.url);
    const quotaBytes = await page.evaluate(async () => (await navigator.storage.estimate()).quota ?? null);
    const load = await loadInPanel(page, marker, await workerHeapProbe(page), options.modelId);
    let answer = null;
    if (!load.error && options.maxNewTokens > 0) {
      await cropExactly(page, options.cropSide, options.cropSide);
      answer = await askInPanel(page, marker, options.question, options.maxNewTokens);
    }
    return { load, quotaBytes, answer };
  } finally {
    await browser.close();
  }
}
