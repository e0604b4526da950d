import type { IncomingMessage, ServerResponse } from "node:http";

/** Which of the local hub's two servers answered: the hub itself or its file CDN (where large files redirect). */
export type HubOrigin = "hub" | "cdn";

/** Request headers a page on another origin may send (what the preflight allows). */
const ALLOWED_HEADERS = "Range, Authorization, Accept, If-Match, If-None-Match, Content-Type";

/** Response headers a page on another origin may read. */
const EXPOSED_HEADERS = [
  "Content-Range",
  "Content-Length",
  "ETag",
  "X-Linked-Size",
  "X-Linked-ETag",
  "X-Repo-Commit",
  "X-Error-Code",
  "X-Error-Message",
  "Link",
  "Accept-Ranges",
].join(", ");

/**
 * CORS headers as huggingface.co sends them: the hub echoes the page's Origin (with `Vary: Origin`), the CDN answers
 * `*` (after a cross-origin redirect the browser sends `Origin: null`).
 */
export function corsHeaders(request: IncomingMessage, origin: HubOrigin): Record<string, string> {
  const pageOrigin = request.headers.origin;
  const allowOrigin = origin === "hub" && pageOrigin && pageOrigin !== "null" ? pageOrigin : "*";
  return {
    "access-control-allow-origin": allowOrigin,
    "access-control-expose-headers": EXPOSED_HEADERS,
    ...(allowOrigin === "*" ? {} : { vary: "Origin" }),
  };
}

/** Answers a CORS preflight. */
export function answerPreflight(request: IncomingMessage, response: ServerResponse, origin: HubOrigin): void {
  response
    .writeHead(204, {
      ...corsHeaders(request, origin),
      "access-control-allow-methods": origin === "hub" ? "GET, HEAD, POST, OPTIONS" : "GET, HEAD, OPTIONS",
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": "600",
    })
    .end();
}

/** The error codes the hub sends in `X-Error-Code` (the ones a reader of models meets). */
export type HubErrorCode = "RepoNotFound" | "RevisionNotFound" | "EntryNotFound" | "GatedRepo";

/** An error answer: its status, `X-Error-Code` (absent for a bad token, as on the hub) and message. */
export interface HubErrorAnswer {
  status: number;
  code?: HubErrorCode;
  message: string;
}

/** The headers of an error as the hub sends them: `X-Error-Code` and `X-Error-Message`. */
export function errorHeaders(error: HubErrorAnswer): Record<string, string> {
  return { "x-error-message": error.message, ...(error.code ? { "x-error-code": error.code } : {}) };
}

/** Sends `value` as JSON with `status` (no body for HEAD); returns the body bytes sent. */
export function sendJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  value: unknown,
): number {
  const body = Buffer.from(JSON.stringify(value));
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(body.length),
  });
  const sent = request.method === "HEAD" ? undefined : body;
  response.end(sent);
  return sent?.length ?? 0;
}

/** What a `Range` header asks of a file of a known size; `end` is inclusive. */
export type RangeAsk = { kind: "whole" } | { kind: "range"; start: number; end: number } | { kind: "unsatisfiable" };

/**
 * Reads a `Range` header as a CDN does: one range `bytes=a-b`, `bytes=a-` or `bytes=-n`; several ranges or a
 * malformed header are ignored (the whole file is sent).
 */
export function parseRange(header: string | undefined, size: number): RangeAsk {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!match || (match[1] === "" && match[2] === "")) return { kind: "whole" };
  const [, first, last] = match;
  if (first === "") {
    const suffix = Number(last);
    return suffix === 0 || size === 0
      ? { kind: "unsatisfiable" }
      : { kind: "range", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return { kind: "whole" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

/** The value of a `Bearer` Authorization header, or undefined without one. */
export function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
  return match?.[1];
}

/** Whether an `If-Match` / `If-None-Match` list names `etag` (or is `*`). */
export function etagListHas(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

/** The content type the hub gives a file by its name. */
export function contentTypeOf(path: string, lfs: boolean): string {
  if (lfs) return "application/octet-stream";
  if (path.endsWith(".json")) return "application/json; charset=utf-8";
  if (/\.(txt|md|jinja|py)$/.test(path) || path.endsWith(".gitattributes")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}
