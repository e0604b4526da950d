import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize, resolve, sep } from "node:path";

/**
 * A static server on 127.0.0.1 (another origin than the app) serving the tiny model folder with CORS, as a remote
 * host or the Hugging Face hub would: `/models/geozero-tiny/…` whole, `/models/no-manifest/geozero-tiny/…` the same
 * folder without its manifest.json. Under `/no-cors/` the same paths come without a CORS header, as from a plain
 * file server.
 */
export interface ModelServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

const FOLDER = resolve("model-cache/geozero-tiny");

export async function startModelServer(): Promise<ModelServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const asked = decodeURIComponent((request.url ?? "").split("?")[0]);
    requests.push(asked);
    const withoutCors = asked.startsWith("/no-cors/");
    const path = withoutCors ? asked.slice("/no-cors".length) : asked;
    const headers: Record<string, string> = withoutCors
      ? { "cache-control": "no-cache" }
      : { "access-control-allow-origin": "*", "cache-control": "no-cache" };
    const match = /^\/models\/(no-manifest\/)?geozero-tiny\/(.+)$/.exec(path);
    const file = match ? normalize(join(FOLDER, match[2])) : "";
    const hidden = match?.[1] !== undefined && match[2] === "manifest.json";
    if (!match || hidden || !file.startsWith(FOLDER + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, headers).end("not found");
      return;
    }
    response.writeHead(200, { ...headers, "content-type": "application/octet-stream" });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
