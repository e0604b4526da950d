import { describe, expect, it } from "vitest";
import { type MessageSpec, serveWorker, WorkerClient } from "./worker-rpc";

type TestMessages = {
  add: MessageSpec<{ a: number; b: number }, number, { step: string }>;
  wait: MessageSpec<{ ms: number }, string>;
  fail: MessageSpec<null, never>;
};

function connectedPair() {
  const channel = new MessageChannel();
  channel.port1.start();
  channel.port2.start();
  return { page: channel.port1, worker: channel.port2, close: () => channel.port1.close() };
}

describe("worker RPC", () => {
  const { page, worker } = connectedPair();
  serveWorker<TestMessages>(worker, {
    add: async ({ a, b }, { emit }) => {
      emit({ step: "adding" });
      return a + b;
    },
    wait: ({ ms }, { signal }) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve("waited"), ms);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        });
      }),
    fail: async () => {
      throw new RangeError("bad input: expected a positive number");
    },
  });
  const client = new WorkerClient<TestMessages>(page);

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

  it("aborts the call on both sides", async () => {
    const controller = new AbortController();
    const pending = client.call("wait", { ms: 10_000 }, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("answers an unknown message with the known ones", async () => {
    const untyped = client as unknown as WorkerClient<{ nope: MessageSpec<null, null> }>;
    await expect(untyped.call("nope", null)).rejects.toThrow(/Unknown worker message "nope". Known: add, wait, fail/);
    page.close();
  });
});
