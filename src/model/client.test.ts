import { afterAll, describe, expect, it, vi } from "vitest";
import { modelWorker, restartModelWorker } from "./client";
import { ModelWorkerRestartedError } from "./model-errors";

/** A worker that takes every message and answers none, as one busy with a long run. */
class SilentWorker {
  static terminated = 0;
  postMessage(): void {}
  addEventListener(): void {}
  terminate(): void {
    SilentWorker.terminated++;
  }
}

vi.stubGlobal("Worker", SilentWorker);
afterAll(() => vi.unstubAllGlobals());

describe("restartModelWorker", () => {
  it("rejects the calls in flight with a typed error naming why, and the next call goes to a fresh worker", async () => {
    const first = modelWorker();
    const inFlight = first.call("loaded", null).catch((error: unknown) => error);
    const hung = new Promise((resolve) => setTimeout(() => resolve("still pending after 2 s"), 2000));
    restartModelWorker("other-root");
    const outcome = await Promise.race([inFlight, hung]);
    expect(outcome).toBeInstanceOf(ModelWorkerRestartedError);
    expect(outcome).toMatchObject({ reason: "other-root" });
    expect(SilentWorker.terminated).toBe(1);
    expect(modelWorker()).not.toBe(first);
  });
});
