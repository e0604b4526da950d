/**
 * `node --import tsx tools/bench/child-stats.ts <stats.json> <script> [args…]`: runs a tool script as `node` would and,
 * when its process exits, writes what it cost to `<stats.json>`: wall and CPU seconds (all threads) and the peak
 * resident memory (VmHWM, which starts afresh at exec). Benchmarks measure commands such as `npm run convert` with it,
 * unchanged.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** What a measured child reports. */
export interface ChildStats {
  exitCode: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
}

/** Peak resident memory of this process so far (Linux), in bytes. */
export function peakRssBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Number(match[1]) * 1024 : 0;
}

const [statsPath, script, ...args] = process.argv.slice(2);
if (statsPath && script) {
  const started = performance.now();
  process.argv = [process.argv[0], resolve(script), ...args];
  process.on("exit", (code) => {
    const cpu = process.cpuUsage();
    const stats: ChildStats = {
      exitCode: code,
      wallSeconds: (performance.now() - started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: peakRssBytes(),
    };
    writeFileSync(statsPath, JSON.stringify(stats));
  });
  await import(pathToFileURL(resolve(script)).href);
}
