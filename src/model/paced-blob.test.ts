import { describe, expect, it } from "vitest";
import { pacedBlob } from "./paced-blob";

const bytes = new Uint8Array(1000).map((_, i) => i % 251);

async function read(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("pacedBlob", () => {
  it("is a Blob of the same size whose pieces stream the same bytes", async () => {
    const blob = pacedBlob(new Blob([bytes]), async () => {});
    expect(blob instanceof Blob).toBe(true);
    expect(blob.size).toBe(1000);
    const piece = blob.slice(100, 400);
    expect(piece instanceof Blob).toBe(true);
    expect(piece.size).toBe(300);
    expect(await read(piece.stream())).toEqual(bytes.subarray(100, 400));
  });

  it("reads no byte of a piece before ready() resolves, and one piece's wait does not hold another's", async () => {
    const waits: Array<() => void> = [];
    const blob = pacedBlob(new Blob([bytes]), () => new Promise<void>((resolve) => waits.push(resolve)));
    const first = read(blob.slice(0, 10).stream());
    let firstDone = false;
    void first.then(() => {
      firstDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waits).toHaveLength(1);
    expect(firstDone).toBe(false);
    waits[0]?.();
    expect(await first).toEqual(bytes.subarray(0, 10));
    const second = read(blob.slice(10, 20).stream());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waits).toHaveLength(2);
    waits[1]?.();
    expect(await second).toEqual(bytes.subarray(10, 20));
  });
});
