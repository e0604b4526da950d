import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchSource, FetchSourceError, FIRST_READ_BYTES } from "./source";

const FILE = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256);
const SMALL = FILE.subarray(0, 1000);

/**
 * Serves FILE (and SMALL at /small) like object storage: `/signed` is a URL signed for GET only (a HEAD gets 403),
 * `/hidden` answers ranges without Content-Range (as a CORS server that does not expose it looks to a page),
 * `/hidden-signed` both, `/whole` ignores ranges, `/lossy` sends each range's first answer without its body. Every request is logged as `METHOD path range`.
 */
const lostOnce = new Set<string>();

function handle(log: string[], request: IncomingMessage, response: ServerResponse): void {
  const path = request.url ?? "";
  log.push(`${request.method} ${path} ${request.headers.range ?? ""}`.trim());
  const file = path === "/small" ? SMALL : FILE;
  if (request.method === "HEAD") {
    if (path.includes("signed")) response.writeHead(403).end();
    else response.writeHead(200, { "content-length": file.length }).end();
    return;
  }
  const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? "");
  if (!range || path === "/whole") {
    response.writeHead(200, { "content-length": file.length }).end(file);
    return;
  }
  const start = Number(range[1]);
  const end = Math.min(file.length - 1, Number(range[2]));
  if (path === "/lossy" && !lostOnce.has(request.headers.range ?? "")) {
    // The first answer to each range loses its body on the way: a 206 that says the whole range and holds none.
    lostOnce.add(request.headers.range ?? "");
    response.writeHead(206, { "content-range": `bytes ${start}-${end}/${file.length}` }).end();
    return;
  }
  const headers: Record<string, string | number> = { "content-length": end - start + 1 };
  if (!path.startsWith("/hidden")) headers["content-range"] = `bytes ${start}-${end}/${file.length}`;
  response.writeHead(206, headers).end(file.subarray(start, end + 1));
}

describe("FetchSource", () => {
  const log: string[] = [];
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, response) => handle(log, request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads the size of a URL signed for GET only from its first range response, with no HEAD", async () => {
    log.length = 0;
    const source = new FetchSource(`${base}/signed`);
    expect(await source.size()).toBe(FILE.length);
    // The header read that follows is served from the first response; a later range is a request of its own.
    expect(await source.getBytes(10, 100)).toEqual(FILE.slice(10, 110));
    expect(await source.getBytes(150_000, 10)).toEqual(FILE.slice(150_000, 150_010));
    expect(log).toEqual([`GET /signed bytes=0-${FIRST_READ_BYTES - 1}`, "GET /signed bytes=150000-150009"]);
  });

  it("takes the size of a file shorter than the first read from the bytes it got", async () => {
    const source = new FetchSource(`${base}/small`);
    expect(await source.size()).toBe(SMALL.length);
    expect(await source.getBytes(990, 10)).toEqual(SMALL.slice(990));
  });

  it("asks a HEAD for the size only when the range response hides Content-Range, and names the fix when both fail", async () => {
    log.length = 0;
    expect(await new FetchSource(`${base}/hidden`).size()).toBe(FILE.length);
    expect(log).toEqual([`GET /hidden bytes=0-${FIRST_READ_BYTES - 1}`, "HEAD /hidden"]);
    const refused = await new FetchSource(`${base}/hidden-signed`).size().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FetchSourceError);
    expect((refused as FetchSourceError).problem).toEqual({ kind: "no-size" });
    expect((refused as FetchSourceError).message).toContain("Access-Control-Expose-Headers: Content-Range");
  });

  it("asks a range again once when its answer came without the bytes, and names a file that really is shorter", async () => {
    log.length = 0;
    const lossy = new FetchSource(`${base}/lossy`);
    expect(await lossy.getBytes(100_000, 5000)).toEqual(FILE.slice(100_000, 105_000));
    expect(log).toEqual(["GET /lossy bytes=100000-104999", "GET /lossy bytes=100000-104999"]);

    log.length = 0;
    const short = await new FetchSource(`${base}/file`).getBytes(199_000, 5000).catch((error: unknown) => error);
    expect((short as FetchSourceError).problem).toEqual({
      kind: "short-read",
      offset: 199_000,
      length: 5000,
      got: 1000,
    });
    // Its Content-Range says the file ends there: no second request.
    expect(log).toEqual(["GET /file bytes=199000-203999"]);
  });

  it("refuses a server that answers a range with the whole file, naming its size", async () => {
    const refused = await new FetchSource(`${base}/whole`).size().catch((error: unknown) => error);
    expect((refused as FetchSourceError).problem).toEqual({ kind: "no-range-support", size: FILE.length });
  });
});
