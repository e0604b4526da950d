/**
 * Inference benchmark in headless Chromium (the tiny demo model): the app's worker (transformers.js `generate`)
 * against a bare loop of onnxruntime-web `session.run` calls on the same graphs in the same page
 * (`inference-page.ts`), on WASM and on WebGPU (SwiftShader here, so with few tokens). Figures: model load cold and
 * cached, image encode, time to first token, decode tokens/s, peak JS heap of the page and the model worker, peak
 * Chromium RSS; and the ratio of the app's decode rate to the bare loop's. App and bare runs alternate.
 */
import type { Page } from "@playwright/test";
import type { SessionDtypes } from "../../src/model/manifest";
import { chromiumRss, openAppPage, peakWhile } from "./browser";
import type * as BenchPage from "./inference-page";
import type { BenchPart } from "./parts";

const PAGE_MODULE = "/tools/bench/inference-page.ts";

interface DeviceRun {
  device: "wasm" | "webgpu";
  dtype: string;
  sessions: SessionDtypes;
  newTokens: number;
  repeats: number;
}

const RUNS: DeviceRun[] = [
  {
    device: "wasm",
    dtype: "q4",
    sessions: { vision_encoder: "q4", embed_tokens: "fp32", decoder_model_merged: "q4" },
    newTokens: 48,
    repeats: 3,
  },
  {
    device: "webgpu",
    dtype: "q4",
    sessions: { vision_encoder: "q4", embed_tokens: "q4", decoder_model_merged: "q4" },
    newTokens: 8,
    repeats: 2,
  },
];

/** Calls an export of the benchmark page module in the page. */
function inPage<K extends keyof typeof BenchPage>(
  page: Page,
  name: K,
  ...args: unknown[]
): Promise<Awaited<ReturnType<Extract<(typeof BenchPage)[K], (...a: never[]) => unknown>>>> {
  return page.evaluate(
    async ({ url, name, args }) => {
      const module = (await import(/* @vite-ignore */ url)) as Record<string, (...a: unknown[]) => unknown>;
      return module[name](...args);
    },
    { url: PAGE_MODULE, name, args },
  ) as never;
}

/**
 * JS heap in use of every dedicated worker of the page, through the DevTools protocol (workers have no
 * performance.memory): auto-attach to the page's workers and ask each for Runtime.getHeapUsage.
 */
export async function workerHeapProbe(page: Page): Promise<() => Promise<number>> {
  const cdp = await page.context().newCDPSession(page);
  const sessions = new Set<string>();
  const pending = new Map<number, (used: number) => void>();
  let nextId = 1;
  cdp.on("Target.attachedToTarget", (event) => {
    if (event.targetInfo.type === "worker") sessions.add(event.sessionId);
  });
  cdp.on("Target.receivedMessageFromTarget", (event) => {
    const reply = JSON.parse(event.message) as { id?: number; result?: { usedSize: number } };
    if (reply.id !== undefined) pending.get(reply.id)?.(reply.result?.usedSize ?? 0);
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  return async () => {
    const sizes = await Promise.all(
      [...sessions].map(
        (sessionId) =>
          new Promise<number>((resolve) => {
            const id = nextId++;
            pending.set(id, resolve);
            setTimeout(() => resolve(0), 2000);
            void cdp
              .send("Target.sendMessageToTarget", {
                sessionId,
                message: JSON.stringify({ id, method: "Runtime.getHeapUsage" }),
              })
              .catch(() => resolve(0));
          }),
      ),
    );
    return Math.max(0, ...sizes);
  };
}

/** Samples the JS heap of the page and of the model worker while work runs. */
async function peakHeaps<T>(page: Page, workerHeap: () => Promise<number>, work: () => Promise<T>) {
  const peak = { page: 0, worker: 0 };
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      peak.page = Math.max(peak.page, await inPage(page, "jsHeapUsed"));
      peak.worker = Math.max(peak.worker, await workerHeap());
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample(), 100);
  try {
    const result = await work();
    await sample();
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const list = (xs: number[], digits = 1) => xs.map((x) => (digits ? rate(x) : x.toFixed(0))).join(", ");
/** Three significant digits: SwiftShader decodes at a fraction of a token per second. */
const rate = (x: number) => x.toPrecision(3);

async function benchDevice(page: Page, workerHeap: () => Promise<number>, run: DeviceRun): Promise<void> {
  const { device, dtype, sessions, newTokens, repeats } = run;
  await inPage(page, "clearModelCache");
  const cold = await inPage(page, "appLoad", device, dtype, sessions);
  const cached = await inPage(page, "appLoad", device, dtype, sessions);
  const bareLoadMs = await inPage(page, "bareLoad", device, sessions);
  // One untimed round each, so both paths start warm.
  const warm = await inPage(page, "appGenerate", newTokens);
  await inPage(page, "bareGenerate", warm.promptTokens, newTokens);
  const app: Awaited<ReturnType<typeof BenchPage.appGenerate>>[] = [];
  const bare: Awaited<ReturnType<typeof BenchPage.bareGenerate>>[] = [];
  const measured = await peakWhile(chromiumRss, () =>
    peakHeaps(page, workerHeap, async () => {
      for (let i = 0; i < repeats; i++) {
        app.push(await inPage(page, "appGenerate", newTokens));
        bare.push(await inPage(page, "bareGenerate", warm.promptTokens, newTokens));
      }
    }),
  );
  await inPage(page, "bareUnload");
  await inPage(page, "appUnload");

  const appRate = median(app.map((r) => r.tokensPerSecond));
  const bareRate = median(bare.map((r) => r.tokensPerSecond));
  console.log(`\n--- ${device} (${Object.values(sessions).join("/")}), ${BENCH_IMAGE}, ${newTokens} new tokens ---`);
  console.log(`prompt: ${warm.promptTokens} tokens; app generated ${app.map((r) => r.tokens).join(", ")} tokens`);
  console.log(
    `model load (app, incl. verify and warm-up): cold ${cold.seconds.toFixed(2)} s, cached ${cached.seconds.toFixed(2)} s (from cache: ${cached.fromCache})`,
  );
  console.log(`bare session create (3 sessions, from HTTP cache): ${(bareLoadMs / 1000).toFixed(2)} s`);
  console.log(
    `image encode (vision_encoder session.run, bare): median ${median(bare.map((r) => r.encodeMs)).toFixed(0)} ms`,
  );
  console.log(
    `time to first token (decode PNG, process, encode, prefill): app median ${median(app.map((r) => r.ttftMs)).toFixed(0)} ms [${list(
      app.map((r) => r.ttftMs),
      0,
    )}]; bare (encode + prefill) ${median(bare.map((r) => r.ttftMs)).toFixed(0)} ms`,
  );
  console.log(`decode: app median ${rate(appRate)} tokens/s [${list(app.map((r) => r.tokensPerSecond))}]`);
  console.log(`        bare median ${rate(bareRate)} tokens/s [${list(bare.map((r) => r.tokensPerSecond))}]`);
  console.log(`ratio app / bare decode: ${(appRate / bareRate).toFixed(2)} (target ≥ 0.9)`);
  const perStep = median(app.map((r) => r.bytesToCpuPerStep));
  console.log(
    `bytes from the device to JS memory per decoding step (app): ${perStep.toFixed(0)}; the logits alone: ${vocabBytes} (ratio ${(perStep / vocabBytes).toFixed(2)}, target ≤ 1)`,
  );
  const { peak } = measured.result;
  console.log(
    `peak JS heap during generation: page ${mib(peak.page)}, model worker ${peak.worker ? mib(peak.worker) : "n/a"}; peak Chromium RSS ${mib(measured.peak)}`,
  );
}

const BENCH_IMAGE = "224 × 224 image";
/** One row of float32 logits over Qwen3's vocabulary. */
const vocabBytes = 151936 * 4;

/**
 * Imports the page module once. The first import makes Vite optimise onnxruntime-web and reload the page, which
 * destroys the evaluation; it is repeated on the reloaded page.
 */
async function preparePage(page: Page): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await inPage(page, "jsHeapUsed");
      return;
    } catch (error) {
      if (attempt >= 3 || !String(error).includes("context was destroyed")) throw error;
      await page.waitForLoadState("load");
      await page.waitForFunction(() => "__geozero" in window);
    }
  }
}

export const inferenceBrowserBench: BenchPart = {
  name: "inference-browser",
  async run() {
    const app = await openAppPage(["--enable-precise-memory-info"]);
    try {
      await preparePage(app.page);
      const workerHeap = await workerHeapProbe(app.page);
      const wanted = process.env.BENCH_DEVICES?.split(",") ?? RUNS.map((r) => r.device);
      for (const run of RUNS.filter((r) => wanted.includes(r.device))) await benchDevice(app.page, workerHeap, run);
    } finally {
      await app.close();
    }
  },
};
