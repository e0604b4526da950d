/**
 * `npm run bench -- full-size`: GeoZero-8B at its real size, end to end on this machine. Makes (or reuses) the
 * 8B-shaped checkpoint, converts it to q4 and q4f16 with `npm run convert` unchanged, answers a 448 × 448 image in
 * Node with the app's generation module (the token reference, and a finiteness check of q4f16), then loads and asks
 * it in the app in headless Chromium (WebGPU), cold and from the cache. Prints the figures and writes them to
 * docs/benchmarks/full-size.json. Needs about 30 GB of disk; `BENCH_FULL_SIZE=convert,node,browser,private,build`
 * picks phases (`private`: a cold load in a private window; `build`: the model built in the browser from a local hub;
 * neither runs unless named).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, symlinkSync, unlinkSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { ModelManifest } from "../../src/model/manifest";
import { FULL_SIZE_SNAPSHOT, fullSizeCheckpointBytes, makeFullSizeCheckpoint } from "../full-size/checkpoint.ts";
import { writeTestImage } from "../io/test-image.ts";
import type { ChildStats } from "./child-stats.ts";
import { type BrowserLoad, loadInPrivateWindow, runInBrowser, serveApp } from "./full-size-browser.ts";
import { buildInBrowser } from "./full-size-build.ts";
import type { NodeRunRequest, NodeRunResult } from "./full-size-node.ts";
import type { BenchPart } from "./parts.ts";

const WORK = ".cache/full-size";
const RESULTS = "docs/benchmarks/full-size.json";
const BROWSER_MODEL = "geozero-8b-shaped";
const DTYPES = ["q4", "q4f16"] as const;
const QUESTION = "What land cover dominates this scene?";
const folderOf = (dtype: string) => join(WORK, `geozero-8b-shaped-${dtype}`);

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const seconds = (s: number) => `${s.toFixed(1)} s`;

/** Runs `script args…` in a fresh Node process under child-stats.ts; resolves with what it cost. */
function measuredChild(script: string, args: string[], log: string): Promise<ChildStats> {
  const statsPath = join(WORK, `${log}.stats.json`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "tools/bench/child-stats.ts", statsPath, script, ...args],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    child.on("error", reject);
    child.on("exit", () => {
      const stats = JSON.parse(readFileSync(statsPath, "utf8")) as ChildStats;
      if (stats.exitCode !== 0) reject(new Error(`${script} ${args.join(" ")} exited with ${stats.exitCode}.`));
      else resolvePromise(stats);
    });
  });
}

/** Bytes per session (graph and its external data) and in all, from a folder's manifest. */
function sessionSizes(folder: string): { totalBytes: number; sessions: Record<string, number> } {
  const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as ModelManifest;
  const sessions: Record<string, number> = {};
  for (const file of manifest.files) {
    const session = /^onnx\/(.+?)(_q4f16|_q4)?\.onnx/.exec(file.path)?.[1] ?? "other files";
    sessions[session] = (sessions[session] ?? 0) + file.bytes;
  }
  return { totalBytes: manifest.totalBytes, sessions };
}

async function convert(dtype: string) {
  await rm(folderOf(dtype), { recursive: true, force: true });
  const stats = await measuredChild(
    "tools/convert/cli.ts",
    [FULL_SIZE_SNAPSHOT, folderOf(dtype), "--dtype", dtype],
    `convert-${dtype}`,
  );
  return { ...stats, ...sessionSizes(folderOf(dtype)) };
}

async function askInNode(request: NodeRunRequest, name: string) {
  const requestPath = join(WORK, `${name}.request.json`);
  const resultPath = join(WORK, `${name}.result.json`);
  await writeFile(requestPath, JSON.stringify(request));
  const stats = await measuredChild("tools/bench/full-size-node.ts", [requestPath, resultPath], name);
  return { ...(JSON.parse(readFileSync(resultPath, "utf8")) as NodeRunResult), ...stats };
}

/** The browser run on the q4 folder, linked into model-cache/ for its duration, and its tokens checked in Node. */
async function browserPhase() {
  return withServedModel(async () => {
    const run = await runInBrowser({
      modelId: BROWSER_MODEL,
      question: QUESTION,
      maxNewTokens: 4,
      cropSide: 64,
      profileRoot: WORK,
      distDir: join(WORK, "dist"),
    });
    let node: NodeRunResult | null = null;
    if (run.cropPng) {
      const image = join(WORK, "browser-crop.png");
      await writeFile(image, run.cropPng);
      node = await askInNode(
        { model: folderOf("q4"), dtype: "q4", image, question: QUESTION, maxNewTokens: 4 },
        "node-browser-crop",
      );
    }
    const { cropPng: _png, ...figures } = run;
    return {
      ...figures,
      nodeSameCrop: node,
      sameTokens: node !== null && equalIds(node.tokenIds, run.answer?.tokenIds),
    };
  });
}

/** Runs `work` with the q4 folder linked into model-cache/ (as the browser finds it), the link removed after. */
async function withServedModel<T>(work: () => Promise<T>): Promise<T> {
  const link = join("model-cache", BROWSER_MODEL);
  if (existsSync(link)) unlinkSync(link);
  symlinkSync(resolve(folderOf("q4")), link);
  try {
    return await work();
  } finally {
    unlinkSync(link);
  }
}

/** The cold load in a private window (storage in memory): no notice-less failure, memory like the normal profile's. */
async function privatePhase() {
  return withServedModel(async () => {
    const server = await serveApp(join(WORK, "dist"));
    try {
      return await loadInPrivateWindow({
        modelId: BROWSER_MODEL,
        question: QUESTION,
        maxNewTokens: Number(process.env.BENCH_PRIVATE_TOKENS ?? 0),
        cropSide: 64,
        url: server.url,
      });
    } finally {
      await server.close();
    }
  });
}

/**
 * The browser build against `npm run convert` of the same checkpoint, in the same run: wall time ratio (target ≤ 3×),
 * memory growth of the browser's processes (target ≤ 1.5 GB), the same files byte for byte, and a resume after a
 * reload half-way (target: at most one piece requested again).
 */
async function buildPhase() {
  const cli = await convert("q4");
  const reference = JSON.parse(readFileSync(join(folderOf("q4"), "manifest.json"), "utf8")) as ModelManifest;
  const { whole, resumed, downloadRates } = await buildInBrowser({
    snapshotDir: FULL_SIZE_SNAPSHOT,
    profileRoot: WORK,
    distDir: join(WORK, "dist"),
    resume: process.env.BENCH_BUILD_RESUME !== "0",
  });
  const differing = reference.files.filter((f) => whole.files[f.path] !== f.sha256).map((f) => f.path);
  const growth = whole.memory.peak.rssBytes - whole.memory.before.rssBytes;
  const ratio = whole.seconds / cli.wallSeconds;
  console.log(
    `browser build (q4): ${whole.error ? `FAILED: ${whole.error}` : seconds(whole.seconds)}; npm run convert ${seconds(cli.wallSeconds)} in the same run: ${ratio.toFixed(2)}× (target ≤ 3×); downloaded ${gib(whole.downloadedBytes)}`,
  );
  console.log(
    `  Chromium tree RSS ${gib(whole.memory.before.rssBytes)} → peak ${gib(whole.memory.peak.rssBytes)} (growth ${gib(growth)}; target ≤ 1.5 GB); files equal to npm run convert's: ${differing.length === 0 ? "all" : `NOT ${differing.join(", ")}`}`,
  );
  const mbps = (rate: number) => `${(rate / 1e6).toFixed(0)} MB/s`;
  console.log(
    `  download alone from the same hub: the page ${Object.entries(downloadRates.browser)
      .map(([piece, rate]) => `${mbps(rate)} in ${piece} ranges`)
      .join(
        ", ",
      )}; Node ${mbps(downloadRates.node)} in 8 MiB ranges; the build read ${mbps(whole.downloadedBytes / whole.seconds)}`,
  );
  if (resumed?.resume)
    console.log(
      `  resumed after a reload at ${(100 * resumed.resume.stoppedAtFraction).toFixed(0)} %: ${gib(resumed.resume.requestedAgainBytes)} requested again (one piece: ${gib(resumed.resume.pieceBytes)}); the resumed part took ${seconds(resumed.resume.seconds)}${resumed.error ? `; FAILED: ${resumed.error}` : ""}`,
    );
  return {
    cliSeconds: cli.wallSeconds,
    ratio,
    differing,
    downloadRates,
    whole: { ...whole, files: undefined },
    resumed: resumed && { ...resumed, files: undefined },
  };
}

const equalIds = (a: number[], b: number[] | undefined) =>
  b !== undefined && a.length === b.length && a.every((id, i) => id === b[i]);

function printConversion(dtype: string, c: Awaited<ReturnType<typeof convert>>) {
  const sessions = Object.entries(c.sessions)
    .map(([name, bytes]) => `${name} ${gib(bytes)}`)
    .join(", ");
  console.log(
    `convert ${dtype}: ${seconds(c.wallSeconds)} wall, ${seconds(c.cpuSeconds)} CPU, peak RSS ${gib(c.peakRssBytes)}; ${gib(c.totalBytes)} written (${sessions})`,
  );
}

function printNode(name: string, n: Awaited<ReturnType<typeof askInNode>>) {
  const step = n.stepSeconds.length ? n.stepSeconds.reduce((a, b) => a + b, 0) / n.stepSeconds.length : 0;
  console.log(
    `node ${name} (${n.input.width} × ${n.input.height}, ${n.promptTokens} prompt tokens): load ${seconds(n.loadSeconds)}, image encode ${seconds(n.imageEncodeSeconds)}, prefill ${seconds(n.prefillSeconds)}, first token ${seconds(n.firstTokenSeconds)}, ${step.toFixed(2)} s per token (${n.tokensPerSecond.toFixed(2)} tokens/s), peak RSS ${gib(n.peakRssBytes)}; non-finite logits ${n.nonFiniteLogits}, logits in [${n.logitRange.map((v) => v.toFixed(2)).join(", ")}]; ids ${JSON.stringify(n.tokenIds)}`,
  );
}

function printLoad(name: string, load: BrowserLoad, weightsBytes: number) {
  const { before, peak, after } = load.memory;
  const growth = (measure: "rssBytes" | "pssBytes") => (peak[measure] - before[measure]) / weightsBytes;
  console.log(
    `browser ${name} load: ${load.error ? `FAILED: ${load.error}` : seconds(load.seconds)}; phases ${JSON.stringify(load.phaseStarts)}; weights streamed ${load.streamedWeights}; requests for weights ${load.weightRequests}`,
  );
  console.log(
    `  Chromium tree RSS ${gib(before.rssBytes)} → peak ${gib(peak.rssBytes)} → ${gib(after.rssBytes)} (growth ${growth("rssBytes").toFixed(2)}× the weights); PSS ${gib(before.pssBytes)} → peak ${gib(peak.pssBytes)} (growth ${growth("pssBytes").toFixed(2)}×; target ≤ 1.3×); peak JS heap page ${gib(load.peakJsHeap.page)}, worker ${gib(load.peakJsHeap.worker)}`,
  );
}

export const fullSizeBench: BenchPart = {
  name: "full-size",
  onlyWhenNamed: true,
  async run() {
    const phases = process.env.BENCH_FULL_SIZE?.split(",") ?? ["checkpoint", "convert", "node", "browser"];
    await mkdir(WORK, { recursive: true });
    const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf8")) as Record<string, unknown>) : {};
    const results: Record<string, unknown> = {
      ...previous,
      measuredOn: {
        date: new Date().toISOString(),
        cpus: cpus().length,
        memoryBytes: totalmem(),
        node: process.version,
        // Timings stretch with whatever else the machine runs: the 1-minute load average as the run starts and ends.
        loadAverage: { atStart: loadavg()[0], atEnd: 0 },
      },
    };
    const started = performance.now();
    const made = await makeFullSizeCheckpoint();
    results.checkpoint = {
      bytes: fullSizeCheckpointBytes(),
      madeNowSeconds: made ? (performance.now() - started) / 1000 : null,
    };
    console.log(
      `checkpoint: ${gib(fullSizeCheckpointBytes())} of bf16 in ${FULL_SIZE_SNAPSHOT}${made ? " (made now)" : ""}`,
    );
    if (phases.includes("convert")) {
      const conversions: Record<string, unknown> = {};
      for (const dtype of DTYPES) {
        const figures = await convert(dtype);
        printConversion(dtype, figures);
        conversions[dtype] = figures;
      }
      results.conversions = conversions;
    }
    if (phases.includes("node")) {
      const image = join(WORK, "image-448.png");
      await writeTestImage(image, 448);
      const node: Record<string, unknown> = {};
      for (const dtype of DTYPES) {
        const figures = await askInNode(
          { model: folderOf(dtype), dtype, image, question: QUESTION, maxNewTokens: 8 },
          `node-${dtype}`,
        );
        printNode(dtype, figures);
        node[dtype] = figures;
      }
      results.node = node;
    }
    if (phases.includes("browser")) {
      const weightsBytes = sessionSizes(folderOf("q4")).totalBytes;
      const browser = await browserPhase();
      printLoad("cold", browser.cold, weightsBytes);
      if (browser.cached) printLoad("cached", browser.cached, weightsBytes);
      const answer = browser.answer;
      if (answer)
        console.log(
          `browser answer (${answer.crop.width}² crop): ${answer.error ?? "done"}; first token ${seconds(answer.ttftSeconds)}, ${answer.tokensPerSecond.toPrecision(3)} tokens/s, ${seconds(answer.totalSeconds)} in all; ids ${JSON.stringify(answer.tokenIds)}; Node on the same crop ${JSON.stringify(browser.nodeSameCrop?.tokenIds)} (${browser.sameTokens ? "same" : "DIFFERENT"}); bytes to the CPU per decoding step ${(answer.transfers.decodeBytesToCpu / Math.max(1, answer.transfers.decodeSteps)).toFixed(0)}`,
        );
      results.browser = { weightsBytes, ...browser };
    }
    if (phases.includes("private")) {
      const weightsBytes = sessionSizes(folderOf("q4")).totalBytes;
      const privateWindow = await privatePhase();
      console.log(`private window: the browser reports a quota of ${gib(privateWindow.quotaBytes ?? 0)}`);
      printLoad("private-window cold", privateWindow.load, weightsBytes);
      results.privateWindow = { weightsBytes, ...privateWindow };
    }
    if (phases.includes("build")) results.browserBuild = await buildPhase();
    (results.measuredOn as { loadAverage: { atEnd: number } }).loadAverage.atEnd = loadavg()[0];
    await mkdir("docs/benchmarks", { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`figures written to ${RESULTS}`);
  },
};
