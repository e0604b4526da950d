/**
 * Serves the repository's `model-cache/` at `/model-cache/` in `vite dev` and `vite preview` (with HTTP range
 * requests), and `/model-cache/index.json`: the folders that hold a converted model, each with its manifest. A build
 * writes the same index to `dist/model-cache/index.json`; the static host serves the model folders beside it.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import type { Plugin } from "vite";

const PREFIX = "/model-cache/";

const contentTypes: Record<string, string> = {
  ".json": "application/json",
  ".onnx": "application/octet-stream",
  ".onnx_data": "application/octet-stream",
  ".jinja": "text/plain",
};

/** Every converted model under `root`: `{ id, manifest }` for each folder with a manifest.json. */
export function modelIndex(root: string): Array<{ id: string; manifest: unknown }> {
  if (!existsSync(root)) return [];
  return (
    readdirSync(root, { withFileTypes: true })
      // A link to a folder elsewhere counts (a converted model kept on another disk).
      .filter(
        (entry) =>
          existsSync(join(root, entry.name, "manifest.json")) && statSync(join(root, entry.name)).isDirectory(),
      )
      .map((entry) => ({
        id: entry.name,
        manifest: JSON.parse(readFileSync(join(root, entry.name, "manifest.json"), "utf8")),
      }))
      .sort((a, b) => a.id.localeCompare(b.id))
  );
}

function serveFile(root: string, request: IncomingMessage, response: ServerResponse): void {
  const relative = decodeURIComponent((request.url ?? "").slice(PREFIX.length).split("?")[0]);
  if (relative === "index.json") {
    response.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
    response.end(JSON.stringify(modelIndex(root)));
    return;
  }
  const path = normalize(join(root, relative));
  if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) {
    response.writeHead(404, { "content-type": "text/plain" }).end(`No file ${relative} in model-cache/.`);
    return;
  }
  const size = statSync(path).size;
  const headers = {
    "content-type": contentTypes[extname(path)] ?? "application/octet-stream",
    "accept-ranges": "bytes",
  };
  const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    response.writeHead(206, {
      ...headers,
      "content-length": end - start + 1,
      "content-range": `bytes ${start}-${end}/${size}`,
    });
    createReadStream(path, { start, end }).pipe(response);
    return;
  }
  response.writeHead(200, { ...headers, "content-length": size });
  if (request.method === "HEAD") response.end();
  else createReadStream(path).pipe(response);
}

/** The Vite plugin. */
export function modelCachePlugin(root = resolve("model-cache")): Plugin {
  const middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => {
    if (!request.url?.startsWith(PREFIX)) return next();
    serveFile(root, request, response);
  };
  let outDir = "dist";
  return {
    name: "geozero-model-cache",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    closeBundle() {
      mkdirSync(join(outDir, "model-cache"), { recursive: true });
      writeFileSync(join(outDir, "model-cache", "index.json"), JSON.stringify(modelIndex(root)));
    },
  };
}
