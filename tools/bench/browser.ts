/**
 * Shared set-up for benchmark parts that run in headless Chromium: the app served by Vite on 127.0.0.1 and a page
 * opened on it, with the flags the tests use.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "@playwright/test";
import { build, createServer, preview, type ViteDevServer } from "vite";
import { chromiumArgs } from "../../playwright.config";
import { browserExecutable } from "../browser/find";
import { TEST_BUILD_MODE } from "../vite/test-build.ts";

/** A page on the app, and how to close everything. */
export interface BrowserBench {
  page: Page;
  url: string;
  close(): Promise<void>;
}

/** Starts Vite and Chromium (with any extra flags) and opens the app. */
export async function openAppPage(extraArgs: string[] = []): Promise<BrowserBench> {
  const server: ViteDevServer = await createServer({
    mode: TEST_BUILD_MODE,
    logLevel: "warn",
    server: { host: "127.0.0.1", port: 0 },
  });
  await server.listen();
  const bench = await openPage(server.resolvedUrls?.local[0] ?? "", extraArgs);
  return { ...bench, close: () => bench.close().then(() => server.close()) };
}

/**
 * Builds the app for production (as `npm run build`, into a temporary folder), serves it with `vite preview` and
 * opens it: for figures of the UI as users get it, without React's development checks.
 */
export async function openBuiltAppPage(): Promise<BrowserBench> {
  const outDir = mkdtempSync(join(tmpdir(), "bench-build-"));
  await build({ mode: TEST_BUILD_MODE, logLevel: "warn", build: { outDir, sourcemap: false } });
  const server = await preview({ logLevel: "warn", build: { outDir }, preview: { host: "127.0.0.1", port: 0 } });
  const bench = await openPage(server.resolvedUrls?.local[0] ?? "", []);
  return {
    ...bench,
    close: async () => {
      await bench.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

async function openPage(url: string, extraArgs: string[]): Promise<BrowserBench> {
  const browser: Browser = await chromium.launch({
    executablePath: browserExecutable(),
    args: [...chromiumArgs, ...extraArgs],
  });
  const page = await browser.newPage();
  // tsx compiles this file with esbuild's keepNames, which wraps functions passed to page.evaluate in __name().
  await page.addInitScript({ content: "globalThis.__name = (f) => f;" });
  await page.goto(url);
  await page.waitForFunction(() => "__geozero" in window);
  return {
    page,
    url,
    close: () => browser.close(),
  };
}

/** Resident memory of every Chromium process, in bytes (Linux /proc). */
export function chromiumRss(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmdline.includes("chromium")) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      total += rss ? Number(rss[1]) * 1024 : 0;
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** Samples a value every `ms` while `work` runs and returns the peak. */
export async function peakWhile<T>(
  sample: () => number,
  work: () => Promise<T>,
  ms = 50,
): Promise<{ result: T; peak: number }> {
  let peak = sample();
  const timer = setInterval(() => {
    peak = Math.max(peak, sample());
  }, ms);
  try {
    const result = await work();
    peak = Math.max(peak, sample());
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}
