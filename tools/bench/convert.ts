import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, open, readdir, readFile, rm, stat } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatBytes } from "../../src/convert/progress.ts";
import { convertSnapshot } from "../convert/convert.ts";
import { type SyntheticSizes, writeSyntheticSnapshot } from "../convert/testing/synthetic.ts";
import type { BenchPart } from "./parts.ts";

/** A Qwen3-VL-shaped checkpoint with larger sizes: ~0.1 GB per text layer plus 1.2 GB of embedding and head (GeoZero-8B: 36 layers of 0.4 GB). */
function benchSizes(textLayers: number): SyntheticSizes {
  return {
    textHidden: 2048,
    textLayers,
    heads: 16,
    kvHeads: 8,
    headDim: 128,
    intermediate: 6144,
    vocab: 151936,
    mropeSection: [24, 20, 20],
    visionHidden: 1024,
    visionDepth: 4,
    visionHeads: 16,
    visionIntermediate: 4096,
    numPositionEmbeddings: 2304,
    deepstack: [1, 2, 3],
  };
}

async function shardPaths(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith(".safetensors"))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Evicts the files from the page cache after flushing every dirty page of the system (`sync`: otherwise the
 * write-back of the previous conversion's output slows the next read), then GNU dd's `iflag=nocache` drops the
 * files' clean pages. Returns false where that is not available, so figures are then for cached files.
 */
function evictFromPageCache(paths: string[]): boolean {
  try {
    execFileSync("sync");
    for (const path of paths) execFileSync("dd", [`if=${path}`, "iflag=nocache", "count=0", "status=none"]);
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system, all threads) this process spent since `start`. */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

async function sequentialRead(files: string[]): Promise<void> {
  const buffer = new Uint8Array(16 * 1024 * 1024);
  for (const file of files) {
    const handle = await open(file, "r");
    try {
      while ((await handle.read(buffer, 0, buffer.length, null)).bytesRead > 0);
    } finally {
      await handle.close();
    }
  }
}

/** What a measuring child reports: wall and CPU seconds of the work, its process's peak resident memory. */
interface Measured {
  cold: boolean;
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
}

type Work = "read" | "convert";

/**
 * Reads or converts the snapshot in a fresh child process, which evicts the shards from the page cache just
 * before it starts the clock: both measurements start the same way, and the peak memory is the child's own.
 */
function measureInChild(work: Work, snapshot: string, out: string): Promise<Measured> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", self, "--child", work, snapshot, out], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${work} child exited with ${code}`));
      else resolve(JSON.parse(output.trim().split("\n").pop() ?? "{}"));
    });
  });
}

async function childMain(work: Work, snapshot: string, out: string): Promise<void> {
  const shards = await shardPaths(snapshot);
  const cold = evictFromPageCache(shards);
  const cpu = process.cpuUsage();
  const started = performance.now();
  if (work === "read") await sequentialRead(shards);
  else await convertSnapshot({ snapshotDir: snapshot, outDir: out, dtypes: ["q4"] });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  const measured: Measured = { cold, seconds, cpuSeconds, maxRssBytes: await peakResidentBytes() };
  console.log(JSON.stringify(measured));
}

/**
 * This process's peak resident memory: VmHWM, which starts afresh at exec. (getrusage's maxRSS can carry the
 * parent's RSS at fork over to the child.)
 */
async function peakResidentBytes(): Promise<number> {
  const status = await readFile("/proc/self/status", "utf8").catch(() => "");
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib ? Number(kib) * 1024 : process.resourceUsage().maxRSS * 1024;
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const file of await readdir(dir)) total += (await stat(join(dir, file))).size;
  return total;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Read-then-convert pairs per checkpoint (BENCH_REPEATS), each measured the same way in its own child, and each
 * after an unmeasured read: on this VM a read right after a conversion is up to 3× slower than one after a read
 * (its page-cache fill costs 2–3× the CPU), so without it the read that follows the previous pair's conversion
 * would flatter the ratio. Both measurements then follow a plain read. The summary gives the median of the pairs'
 * ratios and, conservatively, the median conversion against the fastest read.
 */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

async function benchOne(textLayers: number): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "bench-convert-"));
  try {
    const snapshot = join(root, "snapshot");
    await writeSyntheticSnapshot(snapshot, benchSizes(textLayers), { shards: 4, noise: true });
    const size = await folderBytes(snapshot);
    const perGB = (cpuSeconds: number) => (cpuSeconds / (size / 1e9)).toFixed(2);
    console.log(`checkpoint ${formatBytes(size)} (${textLayers} text layers):`);
    const reads: number[] = [];
    const conversions: number[] = [];
    const ratios: number[] = [];
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      await measureInChild("read", snapshot, "");
      const read = await measureInChild("read", snapshot, "");
      // Outputs stay until the end: deleting files here (ext4 `discard`) would slow the next read.
      const converted = await measureInChild("convert", snapshot, join(root, `out-${repeat}`));
      const readRate = size / read.seconds / 1e6;
      const convertRate = size / converted.seconds / 1e6;
      reads.push(readRate);
      conversions.push(convertRate);
      ratios.push(convertRate / readRate);
      console.log(
        `  run ${repeat} (${read.cold && converted.cold ? "cold page cache" : "cached files"}): sequential read ${readRate.toFixed(0)} MB/s, ` +
          `q4 conversion ${convertRate.toFixed(0)} MB/s of input (${converted.seconds.toFixed(1)} s), ` +
          `ratio ${(convertRate / readRate).toFixed(2)}, peak RSS ${formatBytes(converted.maxRssBytes)}; ` +
          `CPU s per GB (all threads): read ${perGB(read.cpuSeconds)}, conversion ${perGB(converted.cpuSeconds)} ` +
          `(${(converted.cpuSeconds / converted.seconds).toFixed(1)} of ${availableParallelism()} cores busy)`,
      );
    }
    const convertMedian = median(conversions);
    const fastestRead = Math.max(...reads);
    console.log(
      `  median q4 conversion ${convertMedian.toFixed(0)} MB/s, sequential read median ${median(reads).toFixed(0)} MB/s ` +
        `(fastest ${fastestRead.toFixed(0)}); conversion ÷ read: median of the pairs ${median(ratios).toFixed(2)} ` +
        `(lowest ${Math.min(...ratios).toFixed(2)}), median conversion ÷ fastest read ${(convertMedian / fastestRead).toFixed(2)} ` +
        `(target ≥ 0.5)`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** `npm run bench convert`: q4 conversion throughput against plain read speed, and peak memory at two sizes. */
export const convertBench: BenchPart = {
  name: "convert",
  async run() {
    console.log(
      "Synthetic Qwen3-VL checkpoints (bf16 noise); read and conversion start from a cold page cache where dd can evict it; peak RSS of the converting child.",
    );
    for (const layers of [8, 48]) await benchOne(layers);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === "--child") {
  await childMain(process.argv[3] as Work, process.argv[4], process.argv[5]);
}
