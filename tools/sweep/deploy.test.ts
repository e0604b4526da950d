import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("deploy/sweep-job.yaml", () => {
  const yaml = readFileSync("deploy/sweep-job.yaml", "utf8");

  it("is an Indexed Job whose JOB_COMPLETIONS equals its completions, retrying a failed index alone", () => {
    expect(yaml).toMatch(/^ {2}completionMode: Indexed$/m);
    const completions = /^ {2}completions: (\d+)$/m.exec(yaml)?.[1];
    const told = /- name: JOB_COMPLETIONS\n\s+value: "(\d+)"/.exec(yaml)?.[1];
    expect(completions).toBeDefined();
    expect(told).toBe(completions);
    expect(yaml).toMatch(/^ {2}backoffLimitPerIndex: \d+$/m);
    expect(yaml).toMatch(/restartPolicy: Never/);
  });

  it("runs the sweep CLI with its records on a volume", () => {
    expect(readFileSync("deploy/Dockerfile.sweep", "utf8")).toContain(
      'ENTRYPOINT ["npx", "tsx", "tools/sweep/cli.ts"]',
    );
    expect(yaml).toMatch(/- --out\n\s+- \/records/);
    expect(yaml).toMatch(/mountPath: \/records \}/);
  });
});
