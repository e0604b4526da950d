import { describe, expect, it } from "vitest";
import { PacedBlob, ReadPacer } from "./paced-blob";

const bytes = new Uint8Array(1000).map((_, i) => i % 251);

async function read(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A `ready()` the test resolves by hand, one call at a time. */
function heldReady() {
  const waiting: Array<() => void> = [];
  return { ready: () => new Promise<void>((resolve) => waiting.push(resolve)), waiting };
}

describe("PacedBlob", () => {
  it("is a real Blob: same size and bytes, and APIs that check the type (clone, Response, Blob parts) take it", async () => {
    const blob = new ReadPacer(async () => {}).pace(new Blob([bytes], { type: "application/octet-stream" }));
    expect(blob).toBeInstanceOf(Blob);
    expect(blob.size).toBe(1000);
    expect(blob.type).toBe("application/octet-stream");
    expect(new Uint8Array(await structuredClone(blob as Blob).arrayBuffer())).toEqual(bytes);
    expect(new Uint8Array(await new Response(blob).arrayBuffer())).toEqual(bytes);
    expect(new Uint8Array(await new Blob([blob]).arrayBuffer())).toEqual(bytes);
    const piece = blob.slice(100, 400);
    expect(piece).toBeInstanceOf(PacedBlob);
    expect(piece.size).toBe(300);
    expect(await read(piece.stream())).toEqual(bytes.subarray(100, 400));
  });

  it("reads pieces asked for at the same time one after the other, each after its own ready()", async () => {
    const { ready, waiting } = heldReady();
    const pacer = new ReadPacer(ready);
    // Two Blobs of one load (two sessions created side by side), and two pieces of the first.
    const a = pacer.pace(new Blob([bytes]));
    const b = pacer.pace(new Blob([bytes.subarray(500)]));
    const reads = [a.slice(0, 10), b.slice(0, 20), a.slice(990, 1000)].map((piece) => read(piece.stream()));
    const done: number[] = [];
    reads.forEach((r, i) => void r.then(() => done.push(i)));
    await settle();
    // Only the first piece waits on the queue; the others wait for their turn, not on the same ready().
    expect(waiting).toHaveLength(1);
    expect(done).toEqual([]);
    waiting[0]();
    await settle();
    expect(done).toEqual([0]);
    expect(waiting).toHaveLength(2);
    waiting[1]();
    await settle();
    expect(done).toEqual([0, 1]);
    waiting[2]();
    expect(await Promise.all(reads)).toEqual([bytes.subarray(0, 10), bytes.subarray(500, 520), bytes.subarray(990)]);
    expect(done).toEqual([0, 1, 2]);
  });

  it("a piece given up (cancelled, or read past its size) ends its turn", async () => {
    const pacer = new ReadPacer(async () => {});
    const blob = pacer.pace(new Blob([bytes]));
    const cancelled = blob.slice(0, 500).stream().getReader();
    await cancelled.read();
    await cancelled.cancel();
    const sized = blob.slice(0, 10).stream().getReader();
    expect((await sized.read()).value).toEqual(bytes.subarray(0, 10));
    // The reader never asks for the end: it has had the piece's size.
    expect(await read(blob.slice(10, 20).stream())).toEqual(bytes.subarray(10, 20));
  });
});
