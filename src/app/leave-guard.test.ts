import { describe, expect, it } from "vitest";
import type { ModelState } from "../state/model-store";
import { leaveWarning } from "./leave-guard";

const idle: Pick<ModelState, "load" | "run"> = { load: { status: "idle" }, run: null };

describe("leaveWarning", () => {
  it("warns while the model downloads and while an answer runs, not otherwise", () => {
    expect(leaveWarning(idle)).toBeNull();
    const loading = {
      ...idle,
      load: { status: "loading", progress: null, controller: new AbortController(), kept: null },
    } as const;
    expect(leaveWarning(loading)).toMatch(/downloading/);
    const run = (status: "running" | "done" | "stopped") => ({ ...idle, run: { status } as ModelState["run"] });
    expect(leaveWarning(run("running"))).toMatch(/answer/);
    expect(leaveWarning(run("done"))).toBeNull();
    expect(leaveWarning(run("stopped"))).toBeNull();
  });
});
