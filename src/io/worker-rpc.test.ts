import { describe, expect, it } from "vitest";
import { CallQueue } from "./call-queue";
import { registerErrorType } from "./error-data";
import { type MessageSpec, serveWorker, WorkerClient } from "./worker-rpc";

type TestMessages = {
  add: MessageSpec<{ a: number; b: number }, number, { step: string }>;
  wait: MessageSpec<{ ms: number; name: string }, string>;
  fail: MessageSpec<null, never>;
  failTyped: MessageSpec<null, never>;
  failUncloneable: MessageSpec<null, never>;
  countUntilStopped: MessageSpec<null, { counted: number; stopped: boolean }>;
};

class LimitError extends Error {
  override readonly name = "LimitError";
  constructor(
    readonly limit: string,
    readonly value: number,
    readonly where: { file: string; sizes: number[] },
  ) {
    super(`${limit} is ${value}`);
  }
}
registerErrorType("LimitError", LimitError);

function connectedPair() {
  const channel = new MessageChannel();
  channel.port1.start();
  channel.port2.start();
  return { page: channel.port1, worker: channel.port2 };
}

/** A worker whose `wait` handler records when it starts and when its signal is aborted, as the worker saw it. */
function serveTestWorker(queue?: CallQueue) {
  const { page, worker } = connectedPair();
  const log: string[] = [];
  const abortSeen = new Map<string, () => void>();
  const workerSawAbort = (name: string) => new Promise<void>((resolve) => abortSeen.set(name, resolve));
  serveWorker<TestMessages>(
    worker,
    {
      add: async ({ a, b }, { emit }) => {
        emit({ step: "adding" });
        return a + b;
      },
      wait: ({ ms, name }, { signal }) =>
        new Promise((resolve, reject) => {
          log.push(`start ${name}`);
          const timer = setTimeout(() => {
            log.push(`end ${name}`);
            resolve(name);
          }, ms);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            log.push(`aborted ${name}`);
            abortSeen.get(name)?.();
            reject(signal.reason);
          });
        }),
      fail: async () => {
        throw new RangeError("bad input: expected a positive number");
      },
      failTyped: async () => {
        throw new LimitError("maxBufferSize", 268_435_456, { file: "onnx/a.onnx_data", sizes: [1, 2] });
      },
      countUntilStopped: async (_, { signal }) => {
        let counted = 0;
        while (!signal.aborted && counted < 1000) {
          counted++;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        return { counted, stopped: signal.aborted };
      },
      failUncloneable: async () => {
        throw Object.assign(new RangeError("the buffer is too large"), { retry: () => {} });
      },
    },
    { queue },
  );
  return { client: new WorkerClient<TestMessages>(page), log, workerSawAbort, close: () => page.close() };
}

describe("worker RPC", () => {
  const { client, workerSawAbort, log, close } = serveTestWorker();

  it("returns responses and streams events", async () => {
    const events: string[] = [];
    const sum = await client.call("add", { a: 2, b: 3 }, { onEvent: (e) => events.push(e.step) });
    expect(sum).toBe(5);
    expect(events).toEqual(["adding"]);
  });

  it("carries the error's name and message", async () => {
    await expect(client.call("fail", null)).rejects.toMatchObject({
      name: "RangeError",
      message: "bad input: expected a positive number",
    });
  });

  it("re-creates a registered error type with its fields", async () => {
    const error = await client.call("failTyped", null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    expect(error).toMatchObject({
      name: "LimitError",
      message: "maxBufferSize is 268435456",
      limit: "maxBufferSize",
      value: 268_435_456,
      where: { file: "onnx/a.onnx_data", sizes: [1, 2] },
    });
  });

  it("settles the caller's promise with the error's name and message when one of its fields cannot be cloned", async () => {
    const hung = new Promise((resolve) => setTimeout(() => resolve("still pending after 2 s"), 2000));
    const outcome = await Promise.race([client.call("failUncloneable", null).catch((e: unknown) => e), hung]);
    expect(outcome).toMatchObject({ name: "RangeError", message: "the buffer is too large" });
  });

  it("aborts the call on both sides: the caller's promise rejects and the worker's handler sees its signal abort", async () => {
    const controller = new AbortController();
    const pending = client.call("wait", { ms: 10_000, name: "long" }, { signal: controller.signal });
    const seen = workerSawAbort("long");
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await seen;
    expect(log).toEqual(["start long", "aborted long"]);
  });

  it("with settleByWorker, an abort reaches the worker and the call settles with the worker's own answer", async () => {
    const controller = new AbortController();
    const pending = client.call("countUntilStopped", null, { signal: controller.signal, settleByWorker: true });
    await new Promise((resolve) => setTimeout(resolve, 30));
    controller.abort();
    const answer = await pending;
    expect(answer.stopped).toBe(true);
    expect(answer.counted).toBeGreaterThan(0);
    expect(answer.counted).toBeLessThan(1000);
  });

  it("answers an unknown message with the known ones", async () => {
    const untyped = client as unknown as WorkerClient<{ nope: MessageSpec<null, null> }>;
    await expect(untyped.call("nope", null)).rejects.toThrow(
      /Unknown worker message "nope". Known: add, wait, fail, failTyped, countUntilStopped, failUncloneable/,
    );
    close();
  });
});

describe("worker RPC with a queue", () => {
  it("runs calls one at a time in the order sent; an aborted waiting call never runs; an aborted running one ends", async () => {
    const { client, log, workerSawAbort, close } = serveTestWorker(new CallQueue());
    const stopFirst = new AbortController();
    const cancelSecond = new AbortController();
    const first = client.call("wait", { ms: 10_000, name: "first" }, { signal: stopFirst.signal });
    const second = client.call("wait", { ms: 1, name: "second" }, { signal: cancelSecond.signal });
    const third = client.call("wait", { ms: 1, name: "third" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(["start first"]);
    cancelSecond.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    const seen = workerSawAbort("first");
    stopFirst.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    await seen;
    expect(await third).toBe("third");
    expect(log).toEqual(["start first", "aborted first", "start third", "end third"]);
    close();
  });
});
