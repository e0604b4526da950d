import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HubApiError, modelInfo } from "@huggingface/hub";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TINY_SIZES, writeSyntheticSnapshot } from "../../tools/convert/testing/synthetic.ts";
import { type LocalHub, startLocalHub } from "./local-hub.ts";

const SHARD = "model-00002-of-00002.safetensors";
const CONFIG = "config.json";
let root: string;
let snapshot: string;
let hub: LocalHub;
let shardBytes: Buffer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "local-hub-faults-"));
  snapshot = join(root, "snapshot");
  await writeSyntheticSnapshot(snapshot, TINY_SIZES);
  shardBytes = await readFile(join(snapshot, SHARD));
});

// A fresh hub per test: a change or a spent rule never leaks into the next test.
beforeEach(async () => {
  hub = await startLocalHub({ repos: [{ id: "test/tiny", dir: snapshot }], hashCacheFile: null });
});

afterEach(async () => {
  await hub.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function readRange(path: string, start: number, end: number): Promise<Response> {
  return fetch(hub.resolveUrl(path), { headers: { range: `bytes=${start}-${end}` } });
}

/** Byte equality without a deep comparison per element (slow on large buffers). */
const sameBytes = (actual: Buffer | Error, expected: Uint8Array) => actual instanceof Buffer && actual.equals(expected);

/** The body's bytes, or the error that ended it. */
async function bodyOrError(response: Response): Promise<Buffer | Error> {
  return response.arrayBuffer().then(
    (buffer) => Buffer.from(buffer),
    (error: Error) => error,
  );
}

describe("status faults", () => {
  it("answers 503 once with Retry-After and the hub's JSON error, then serves the file", async () => {
    const rule = hub.fail({ kind: "status", status: 503, retryAfterSeconds: 7, file: SHARD });
    const failed = await readRange(SHARD, 0, 9);
    expect([failed.status, failed.headers.get("retry-after")]).toEqual([503, "7"]);
    expect((await failed.json()).error).toEqual(expect.any(String));
    expect(rule.fired).toBe(1);
    const next = await readRange(SHARD, 0, 9);
    expect(next.status).toBe(206);
    expect(Buffer.from(await next.arrayBuffer())).toEqual(shardBytes.subarray(0, 10));
  });

  it("fails the API when asked (on: api), which the hub client reports as a HubApiError", async () => {
    hub.fail({ kind: "status", status: 500, on: "api" });
    const error = await modelInfo({ name: "test/tiny", hubUrl: hub.url }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(HubApiError);
    expect((error as HubApiError).statusCode).toBe(500);
    expect((await modelInfo({ name: "test/tiny", hubUrl: hub.url })).name).toBe("test/tiny");
  });

  it("lets `skip` matching requests through and fires on the CDN only when told to", async () => {
    const rule = hub.fail({ kind: "status", status: 500, file: SHARD, origin: "cdn", skip: 1 });
    expect((await readRange(SHARD, 0, 0)).status).toBe(206);
    const second = await readRange(SHARD, 0, 0);
    expect(second.status).toBe(500);
    expect(new URL(second.url).origin).toBe(hub.cdnUrl);
    expect(rule.fired).toBe(1);
  });
});

describe("broken bodies", () => {
  it("drops the connection after K bytes of a range: the reader gets an error, the log K bytes", async () => {
    hub.fail({ kind: "drop", afterBytes: 5000, file: SHARD });
    const response = await readRange(SHARD, 1000, 200_999);
    expect(response.status).toBe(206);
    expect(await bodyOrError(response)).toBeInstanceOf(Error);
    const [cdnRead] = hub.requestsFor({ file: SHARD, origin: "cdn" });
    expect([cdnRead.bytesSent, cdnRead.done, cdnRead.faults]).toEqual([5000, false, ["drop"]]);
    const again = await readRange(SHARD, 1000, 200_999);
    expect(sameBytes(await bodyOrError(again), shardBytes.subarray(1000, 201_000))).toBe(true);
  });

  it("truncates a body under a Content-Length that promises it all (the connection closes)", async () => {
    hub.fail({ kind: "truncate", afterBytes: 100, file: CONFIG });
    const response = await fetch(hub.resolveUrl(CONFIG));
    const size = (await readFile(join(snapshot, CONFIG))).length;
    expect([response.status, response.headers.get("content-length")]).toEqual([200, String(size)]);
    expect(await bodyOrError(response)).toBeInstanceOf(Error);
    expect(hub.bytesServed(CONFIG)).toBe(100);
  });

  it("answers a range with fewer bytes than asked, under an honest Content-Range", async () => {
    hub.fail({ kind: "short", bytes: 300, file: SHARD });
    const response = await readRange(SHARD, 500, 9_999);
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 500-799/${shardBytes.length}`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(shardBytes.subarray(500, 800));
    expect(hub.rangesRequested(SHARD)).toEqual([{ start: 500, end: 9_999 }]);
  });

  it("does not spend a body fault on a read too small for it (a 1-byte probe)", async () => {
    const rule = hub.fail({ kind: "drop", afterBytes: 10, file: SHARD });
    expect(Buffer.from(await (await readRange(SHARD, 0, 0)).arrayBuffer())).toEqual(shardBytes.subarray(0, 1));
    expect(rule.fired).toBe(0);
    expect(await bodyOrError(await readRange(SHARD, 0, 99))).toBeInstanceOf(Error);
    expect(rule.fired).toBe(1);
  });

  it("fails only reads from `fromByte` on (a second half)", async () => {
    const half = Math.floor(shardBytes.length / 2);
    hub.fail({ kind: "drop", afterBytes: 0, file: SHARD, fromByte: half });
    expect((await bodyOrError(await readRange(SHARD, 0, half - 1))) instanceof Buffer).toBe(true);
    expect(await bodyOrError(await readRange(SHARD, half, shardBytes.length - 1))).toBeInstanceOf(Error);
  });
});

describe("stalls and rate limits", () => {
  it("holds a response after K bytes until released, then sends the rest", async () => {
    const rule = hub.fail({ kind: "stall", afterBytes: 64 * 1024, file: SHARD });
    const response = await readRange(SHARD, 0, shardBytes.length - 1);
    const body = bodyOrError(response);
    await sleep(300);
    const [cdnRead] = hub.requestsFor({ file: SHARD, origin: "cdn" });
    expect([cdnRead.bytesSent, cdnRead.done]).toEqual([64 * 1024, false]);
    rule.release();
    expect(sameBytes(await body, shardBytes)).toBe(true);
    expect(cdnRead.done).toBe(true);
  });

  it("paces bodies at the rate given, shared by concurrent responses", async () => {
    hub.fail({ kind: "slow", bytesPerSecond: 200_000, file: SHARD, times: Number.POSITIVE_INFINITY });
    const started = performance.now();
    const bodies = await Promise.all([
      readRange(SHARD, 0, 39_999).then(bodyOrError),
      readRange(SHARD, 40_000, 79_999).then(bodyOrError),
    ]);
    const seconds = (performance.now() - started) / 1000;
    expect(sameBytes(Buffer.concat(bodies as Buffer[]), shardBytes.subarray(0, 80_000))).toBe(true);
    // 80,000 bytes at 200,000 B/s: at least 0.4 s whatever the machine (an upper bound would be a timed test).
    expect(seconds).toBeGreaterThanOrEqual(0.35);
  });

  it("stops pacing when the rule is removed", async () => {
    const rule = hub.fail({ kind: "slow", bytesPerSecond: 1000, times: Number.POSITIVE_INFINITY });
    rule.remove();
    expect(sameBytes(await bodyOrError(await readRange(SHARD, 0, 99_999)), shardBytes.subarray(0, 100_000))).toBe(true);
  });
});

describe("a file that changes", () => {
  it("changes between two reads: new bytes, new ETag, and a new commit for main", async () => {
    const before = hub.commit();
    hub.fail({ kind: "change", file: CONFIG, skip: 1 });
    const first = await fetch(hub.resolveUrl(CONFIG));
    const firstBytes = Buffer.from(await first.arrayBuffer());
    const second = await fetch(hub.resolveUrl(CONFIG));
    const secondBytes = Buffer.from(await second.arrayBuffer());
    expect(second.headers.get("etag")).not.toBe(first.headers.get("etag"));
    expect(second.headers.get("x-repo-commit")).toBe(hub.commit());
    expect(hub.commit()).not.toBe(before);
    expect(secondBytes.length).toBe(firstBytes.length);
    expect(secondBytes.subarray(0, -1)).toEqual(firstBytes.subarray(0, -1));
    expect(secondBytes.at(-1)).toBe((firstBytes.at(-1) ?? 0) ^ 0xff);
    // Default `new-content`: a read pinned to the old commit sees the change too.
    const pinned = await fetch(hub.resolveUrl(CONFIG, { revision: before }));
    expect(pinned.headers.get("etag")).toBe(second.headers.get("etag"));
  });

  it("gives an LFS file a new SHA-256 (X-Linked-ETag) while the old CDN URL keeps the old bytes", async () => {
    const old = await fetch(hub.resolveUrl(SHARD), { redirect: "manual" });
    await hub.changeFile({ path: SHARD });
    const changed = await fetch(hub.resolveUrl(SHARD), { redirect: "manual" });
    const flipped = Buffer.from(shardBytes);
    flipped[flipped.length - 1] ^= 0xff;
    expect(changed.headers.get("x-linked-etag")).toBe(`"${sha256(flipped)}"`);
    const oldBytes = await bodyOrError(await fetch(old.headers.get("location") ?? ""));
    const newBytes = await bodyOrError(await fetch(changed.headers.get("location") ?? ""));
    expect([sameBytes(oldBytes, shardBytes), sameBytes(newBytes, flipped)]).toEqual([true, true]);
  });

  it("keeps history (old-content) or rewrites it (gone) as the test asks", async () => {
    const first = hub.commit();
    const content = new TextEncoder().encode('{"model_type": "llama"}');
    const second = await hub.changeFile({ path: CONFIG, content, oldCommits: "old-content" });
    const pinned = await fetch(hub.resolveUrl(CONFIG, { revision: first }));
    expect(JSON.parse(await pinned.text()).model_type).toBe("qwen3_vl");
    expect(await (await fetch(hub.resolveUrl(CONFIG))).text()).toBe('{"model_type": "llama"}');
    await hub.deleteFile({ path: CONFIG, oldCommits: "gone" });
    const gone = await fetch(hub.resolveUrl(CONFIG, { revision: second }));
    expect([gone.status, gone.headers.get("x-error-code")]).toEqual([404, "RevisionNotFound"]);
    const deleted = await fetch(hub.resolveUrl(CONFIG));
    expect([deleted.status, deleted.headers.get("x-error-code")]).toEqual([404, "EntryNotFound"]);
  });
});
