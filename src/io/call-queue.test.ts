import { describe, expect, it } from "vitest";
import { CallQueue } from "./call-queue";

/** Work the test finishes by hand, recording when it started and whether its signal was aborted. */
function pausedWork(log: string[], name: string) {
  let finish: (value: string) => void = () => {};
  let seenSignal: AbortSignal | null = null;
  const work = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      log.push(`start ${name}`);
      seenSignal = signal;
      finish = (value) => {
        log.push(`end ${name}`);
        resolve(value);
      };
      signal.addEventListener("abort", () => {
        log.push(`aborted ${name}`);
        reject(signal.reason);
      });
    });
  return { work, finish: (value: string) => finish(value), signal: () => seenSignal };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("CallQueue", () => {
  it("runs calls one at a time in the order asked", async () => {
    const queue = new CallQueue();
    const log: string[] = [];
    const a = pausedWork(log, "a");
    const b = pausedWork(log, "b");
    const c = pausedWork(log, "c");
    const results = [queue.run(a.work), queue.run(b.work), queue.run(c.work)];
    await tick();
    expect(log).toEqual(["start a"]);
    expect(queue.length).toBe(3);
    a.finish("A");
    await tick();
    expect(log).toEqual(["start a", "end a", "start b"]);
    b.finish("B");
    await tick();
    c.finish("C");
    expect(await Promise.all(results)).toEqual(["A", "B", "C"]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(queue.length).toBe(0);
  });

  it("removes a call cancelled while it waits: it rejects at once and never runs, and the next keeps its turn", async () => {
    const queue = new CallQueue();
    const log: string[] = [];
    const a = pausedWork(log, "a");
    const b = pausedWork(log, "b");
    const c = pausedWork(log, "c");
    const cancel = new AbortController();
    const first = queue.run(a.work);
    const second = queue.run(b.work, cancel.signal);
    const third = queue.run(c.work);
    cancel.abort(new DOMException("Aborted", "AbortError"));
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    await tick();
    expect(log).toEqual(["start a"]);
    a.finish("A");
    await tick();
    expect(log).toEqual(["start a", "end a", "start c"]);
    c.finish("C");
    expect([await first, await third]).toEqual(["A", "C"]);
    expect(log).not.toContain("start b");
  });

  it("aborts the running call through its signal, and starts the next only once it has returned", async () => {
    const queue = new CallQueue();
    const log: string[] = [];
    let finishAborted = () => {};
    const slowToStop = (signal: AbortSignal) =>
      new Promise<string>((_, reject) => {
        log.push("start a");
        signal.addEventListener("abort", () => {
          log.push("aborted a");
          finishAborted = () => {
            log.push("end a");
            reject(signal.reason);
          };
        });
      });
    const b = pausedWork(log, "b");
    const stop = new AbortController();
    const first = queue.run(slowToStop, stop.signal);
    const second = queue.run(b.work);
    await tick();
    stop.abort(new DOMException("Aborted", "AbortError"));
    await tick();
    expect(log).toEqual(["start a", "aborted a"]);
    finishAborted();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    await tick();
    expect(log).toEqual(["start a", "aborted a", "end a", "start b"]);
    b.finish("B");
    expect(await second).toBe("B");
  });

  it("a failing call does not stop the queue", async () => {
    const queue = new CallQueue();
    const failed = queue.run(async () => {
      throw new RangeError("bad");
    });
    const next = queue.run(async () => "next");
    await expect(failed).rejects.toThrow("bad");
    expect(await next).toBe("next");
  });
});
