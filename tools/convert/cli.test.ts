import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBytes, formatDuration, progressLine } from "../../src/convert/progress.ts";
import { TINY_SIZES, writeSyntheticSnapshot } from "./testing/synthetic.ts";

const run = promisify(execFile);
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "convert-cli-"));
  await writeSyntheticSnapshot(join(root, "snap"), { ...TINY_SIZES, textLayers: 1, visionDepth: 2, deepstack: [1] });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, ["--import", "tsx", "tools/convert/cli.ts", ...args]);
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe("convert CLI", () => {
  it("converts a snapshot and reports what it wrote", async () => {
    const { code, stderr } = await cli(join(root, "snap"), join(root, "out"), "--dtype", "q4", "--demo");
    expect(code).toBe(0);
    expect(JSON.parse(await readFile(join(root, "out", "manifest.json"), "utf8")).demo).toBe(true);
    expect(stderr).toMatch(/Wrote \d+ files \([\d.]+ KiB\) to .*out/);
    expect((await readdir(join(root, "out", "onnx"))).sort()).toContain("decoder_model_merged_q4.onnx");
  });

  it("exits 1 naming an unsupported dtype and the allowed ones", async () => {
    const { code, stderr } = await cli(join(root, "snap"), join(root, "bad"), "--dtype", "int4");
    expect(code).toBe(1);
    expect(stderr).toContain('Unsupported --dtype "int4"; expected one or more of: fp32, fp16, q4, q4f16');
  });

  it("exits 2 with the usage when arguments are missing", async () => {
    const { code, stderr } = await cli(join(root, "snap"));
    expect(code).toBe(2);
    expect(stderr).toContain("Usage: npm run convert --");
  });
});

describe("progress line", () => {
  it("shows bytes done of total, rate and ETA", () => {
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("--:--");
    const line = progressLine(512 * 1024 ** 2, 1024 ** 3, 4, "decoder_model_merged_q4.onnx", 10);
    expect(line).toBe("█████░░░░░  50.0% 512.0 MiB / 1.0 GiB 128.0 MiB/s ETA 0:04 decoder_model_merged_q4.onnx");
  });
});
