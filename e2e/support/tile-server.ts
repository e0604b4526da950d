import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PNG } from "pngjs";

/**
 * A synthetic tile pyramid on 127.0.0.1 whose pixels encode their own global pixel coordinates at their zoom:
 * R = x mod 256, G = y mod 256, B = (x div 256 mod 16) + 16 × (y div 256 mod 16). Routes:
 * `/cors/{z}/{x}/{y}.png` (with Access-Control-Allow-Origin: *), `/nocors/…` (without), and `/missing/…`
 * (404 for tiles whose x is odd).
 */
export interface TileServer {
  url: string;
  requests: string[];
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

/** Starts the server on a free port. */
export async function startTileServer(): Promise<TileServer> {
  const requests: string[] = [];
  const cache = new Map<string, Buffer>();
  const server: Server = createServer((request, response) => {
    const url = request.url ?? "";
    requests.push(url);
    const match = /^\/(cors|nocors|missing)\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(url);
    if (!match) {
      response.writeHead(404).end("not found");
      return;
    }
    const [, route, , xs, ys] = match;
    const x = Number(xs);
    const y = Number(ys);
    const headers: Record<string, string> = { "content-type": "image/png" };
    if (route !== "nocors") headers["access-control-allow-origin"] = "*";
    if (route === "missing" && x % 2 === 1) {
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
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
