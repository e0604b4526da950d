import { createReadStream, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PNG } from "pngjs";

/**
 * A synthetic tile pyramid on 127.0.0.1 whose pixels encode their own global pixel coordinates at their zoom:
 * R = x mod 256, G = y mod 256, B = (x div 256 mod 16) + 16 × (y div 256 mod 16). Routes:
 * `/cors/{z}/{x}/{y}.png` (with Access-Control-Allow-Origin: *), `/nocors/…` (without), `/missing/…`
 * (404 for tiles whose x is odd) and `/none/…` (404 for every tile, with CORS). Files registered with `serveFile` are served at `/cog/<name>` (HTTP range requests,
 * CORS), `/cog-norange/<name>` (whole file only, CORS), `/cog-nocors/<name>` (ranges, no CORS header) and
 * `/cog-signed/<name>` (ranges, CORS, but 403 to a HEAD, as a URL presigned for GET); any other name is a 404. The bytes of each file's bodies are counted.
 */
export interface TileServer {
  url: string;
  requests: string[];
  /** Serves a file on disk under `name`. */
  serveFile(name: string, path: string): void;
  /** Body bytes sent for `name` so far, over every route. */
  bytesServed(name: string): number;
  close(): Promise<void>;
}

/** The colour a pixel at global pixel (x, y) has in the synthetic pyramid. */
export function encodeCoordinate(x: number, y: number): [number, number, number] {
  return [x % 256, y % 256, (Math.floor(x / 256) % 16) + 16 * (Math.floor(y / 256) % 16)];
}

function renderTile(x: number, y: number): Buffer {
  const png = new PNG({ width: 256, height: 256 });
  for (let row = 0; row < 256; row++) {
    for (let col = 0; col < 256; col++) {
      const [r, g, b] = encodeCoordinate(x * 256 + col, y * 256 + row);
      const at = (row * 256 + col) * 4;
      png.data[at] = r;
      png.data[at + 1] = g;
      png.data[at + 2] = b;
      png.data[at + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

const FILE_ROUTE = /^\/(cog|cog-norange|cog-nocors|cog-signed)\/([^/?]+)$/;

/** Answers one file request: HEAD, a single byte range, or the whole file; counts the body bytes sent. */
function serveFileRoute(
  request: IncomingMessage,
  response: ServerResponse,
  route: string,
  path: string | undefined,
  count: (bytes: number) => void,
): void {
  const headers: Record<string, string> = { "content-type": "image/tiff" };
  if (route !== "cog-nocors") {
    headers["access-control-allow-origin"] = "*";
    headers["access-control-allow-headers"] = "range";
    headers["access-control-expose-headers"] = "content-range, content-length";
  }
  if (request.method === "OPTIONS") {
    response.writeHead(204, headers).end();
    return;
  }
  if (!path) {
    response.writeHead(404, headers).end("not found");
    return;
  }
  if (route === "cog-signed" && request.method === "HEAD") {
    response.writeHead(403, headers).end();
    return;
  }
  const size = statSync(path).size;
  const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? "");
  const ranged = route !== "cog-norange" && range !== null;
  const start = ranged ? Number(range[1]) : 0;
  const end = ranged ? Math.min(size - 1, Number(range[2])) : size - 1;
  if (route !== "cog-norange") headers["accept-ranges"] = "bytes";
  headers["content-length"] = String(end - start + 1);
  if (ranged) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  response.writeHead(ranged ? 206 : 200, headers);
  if (request.method === "HEAD") {
    response.end();
    return;
  }
  const stream = createReadStream(path, { start, end });
  stream.on("data", (chunk) => count(chunk.length));
  stream.pipe(response);
  response.on("close", () => stream.destroy());
}

/** Starts the server on a free port. */
export async function startTileServer(): Promise<TileServer> {
  const requests: string[] = [];
  const cache = new Map<string, Buffer>();
  const files = new Map<string, string>();
  const served = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const url = request.url ?? "";
    requests.push(url);
    const file = FILE_ROUTE.exec(url);
    if (file) {
      const [, route, name] = file;
      serveFileRoute(request, response, route, files.get(name), (bytes) =>
        served.set(name, (served.get(name) ?? 0) + bytes),
      );
      return;
    }
    const match = /^\/(cors|nocors|missing|none)\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(url);
    if (!match) {
      response.writeHead(404).end("not found");
      return;
    }
    const [, route, , xs, ys] = match;
    const x = Number(xs);
    const y = Number(ys);
    const headers: Record<string, string> = { "content-type": "image/png" };
    if (route !== "nocors") headers["access-control-allow-origin"] = "*";
    if (route === "none" || (route === "missing" && x % 2 === 1)) {
      response.writeHead(404, headers).end();
      return;
    }
    const key = `${x}/${y}`;
    const body = cache.get(key) ?? renderTile(x, y);
    cache.set(key, body);
    response.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    serveFile: (name, path) => files.set(name, path),
    bytesServed: (name) => served.get(name) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
