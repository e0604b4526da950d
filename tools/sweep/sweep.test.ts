import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "sweep-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A small classification sweep of the sample archive on the tiny model: 2 × 2 chips of 64 px. */
const SWEEP = [
  "tools/sweep/cli.ts",
  "--source",
  "public/sample/synthetic-sample.pmtiles",
  "--bbox",
  "10.0000,48.0030,10.0010,48.0035",
  "--zoom",
  "17",
  "--chip",
  "64",
  "--overlap",
  "0.25",
  "--task",
  "scene_cls",
  "--class-list",
  "aid",
  "--model",
  "model-cache/geozero-tiny",
  "--max-new-tokens",
  "3",
];

function sweep(out: string, env: Record<string, string> = {}, extra: string[] = []) {
  return run("npx", ["tsx", ...SWEEP, "--out", out, ...extra], { env: { ...process.env, ...env } });
}

/** The records without their timings (which differ run to run), by chip. */
function answers(path: string): string[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const { timing: _, ...rest } = JSON.parse(line);
      return JSON.stringify(rest);
    })
    .sort();
}

describe("npm run sweep", () => {
  it("gives the same GeoJSON, byte for byte, from three Indexed Job processes merged as from one process", async () => {
    const whole = join(work, "whole");
    const sharded = join(work, "sharded");
    await sweep(whole);
    // As in a Kubernetes Indexed Job of 3 completions: each process reads its shard from the environment.
    await Promise.all(
      [0, 1, 2].map((index) => sweep(sharded, { JOB_COMPLETION_INDEX: String(index), JOB_COMPLETIONS: "3" })),
    );
    const shards = [0, 1, 2].map((i) => join(sharded, `records-${i}-of-3.jsonl`));
    const shardChips = shards.map((path) => answers(path).length);
    expect(shardChips.every((n) => n > 0)).toBe(true);
    const { stdout } = await run("npx", ["tsx", "tools/sweep/cli.ts", "merge", ...shards, "--out", sharded]);
    expect(stdout).toContain("chip records merged");
    for (const file of ["merged.geojson", "classes.geojson", "counts.csv"]) {
      expect(readFileSync(join(sharded, file), "utf8")).toBe(readFileSync(join(whole, file), "utf8"));
    }
    const grid = JSON.parse(readFileSync(join(whole, "classes.geojson"), "utf8"));
    expect(grid.features).toHaveLength(shardChips.reduce((a, b) => a + b, 0));
    expect(grid.features[0].properties).toMatchObject({ name: "r0c0", answer: expect.any(String) });
    expect(shards.flatMap(answers).sort()).toEqual(answers(join(whole, "records.jsonl")));
  });

  it("resumes from its records, refuses a shard beyond the count, and refuses merging records of different plans", async () => {
    const again = await sweep(join(work, "whole"));
    expect(again.stderr).toContain("4 of 4 already kept");
    await expect(sweep(join(work, "bad"), {}, ["--shard", "3/3"])).rejects.toMatchObject({
      stderr: expect.stringContaining("Shard index 3 is beyond the count of 3"),
    });
    await expect(sweep(join(work, "bad"), { JOB_COMPLETION_INDEX: "1" })).rejects.toMatchObject({
      stderr: expect.stringContaining("JOB_COMPLETIONS is not"),
    });
    const other = join(work, "other");
    await sweep(other, {}, ["--seed", "2", "--shard", "0/3"]);
    await expect(
      run("npx", [
        "tsx",
        "tools/sweep/cli.ts",
        "merge",
        join(work, "whole", "records.jsonl"),
        join(other, "records-0-of-3.jsonl"),
      ]),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/records\.jsonl and .*records-0-of-3\.jsonl are records of different sweeps/),
    });
  });
});
