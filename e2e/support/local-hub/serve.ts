import type { IncomingMessage, ServerResponse } from "node:http";
import { type FileVersion, readContent } from "./content.ts";
import type { BodyFaults, FaultBook, RequestFacts } from "./faults.ts";
import { contentTypeOf, etagListHas, parseRange } from "./http.ts";
import type { HubRequest } from "./log.ts";

/** A file read to answer with its bytes: the version, its quoted ETag, and the headers the origin adds. */
export interface FileRead {
  version: FileVersion;
  etag: string;
  headers: Record<string, string>;
  facts: RequestFacts;
  record: HubRequest;
}

/**
 * Answers a read of a file's bytes as a CDN does: `If-None-Match` (304) and `If-Match` (412), one byte range (206
 * with `Content-Range`; 416 past the end; the whole file when `If-Range` names another ETag) or the whole file (200),
 * `Accept-Ranges: bytes`, streamed from disk in pieces, shaped by the body faults that fire.
 */
export async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  read: FileRead,
  faults: FaultBook,
): Promise<void> {
  const { version, etag, record } = read;
  const headers = { ...read.headers, etag, "accept-ranges": "bytes" };
  if (etagListHas(request.headers["if-none-match"], etag)) return answer(response, record, 304, headers);
  if (request.headers["if-match"] !== undefined && !etagListHas(request.headers["if-match"], etag)) {
    return answer(response, record, 412, headers);
  }
  const ifRange = request.headers["if-range"];
  const rangeHeader = ifRange === undefined || ifRange === etag ? request.headers.range : undefined;
  const range = parseRange(rangeHeader, version.size);
  if (range.kind === "unsatisfiable") {
    return answer(response, record, 416, { ...headers, "content-range": `bytes */${version.size}` });
  }
  const start = range.kind === "range" ? range.start : 0;
  let end = range.kind === "range" ? range.end : version.size - 1;
  record.asked = { start, end };
  const body =
    request.method === "HEAD"
      ? { kinds: [] }
      : faults.takeBody({
          ...read.facts,
          rangeStart: range.kind === "range" ? start : undefined,
          bodyLength: end - start + 1,
        });
  if (body.short !== undefined) end = start + body.short - 1;
  record.faults.push(...body.kinds);
  record.status = range.kind === "range" ? 206 : 200;
  response.writeHead(record.status, {
    ...headers,
    "content-type": contentTypeOf(version.path, version.lfs),
    "content-length": String(end - start + 1),
    ...(range.kind === "range" ? { "content-range": `bytes ${start}-${end}/${version.size}` } : {}),
  });
  if (request.method === "HEAD") {
    record.done = true;
    response.end();
    return;
  }
  response.flushHeaders();
  await streamBody(response, version, start, end, body, record);
}

function answer(response: ServerResponse, record: HubRequest, status: number, headers: Record<string, string>): void {
  record.status = status;
  record.done = true;
  response.writeHead(status, headers).end();
}

async function streamBody(
  response: ServerResponse,
  version: FileVersion,
  start: number,
  end: number,
  faults: BodyFaults,
  record: HubRequest,
): Promise<void> {
  let gone = false;
  response.once("close", () => {
    gone = true;
  });
  const total = end - start + 1;
  if (total === 0) {
    record.done = true;
    response.end();
    return;
  }
  let pauseAt = faults.cut?.afterBytes ?? Number.POSITIVE_INFINITY;
  const step = faults.pace?.step ?? Number.POSITIVE_INFINITY;
  for await (const chunk of readContent(version, start, end)) {
    for (let at = 0; at < chunk.length; ) {
      if (gone) return;
      if (record.bytesSent === pauseAt) {
        if (faults.cut?.kind !== "stall") return cut(response, faults.cut?.kind ?? "drop");
        await Promise.race([faults.cut.released, new Promise((resolve) => response.once("close", resolve))]);
        pauseAt = Number.POSITIVE_INFINITY;
        continue;
      }
      const piece = chunk.subarray(at, at + Math.min(step, pauseAt - record.bytesSent));
      await faults.pace?.wait(piece.length);
      if (!(await write(response, piece))) return;
      record.bytesSent += piece.length;
      at += piece.length;
      // Marked before the file stream ends: the client may hold the whole body before that.
      if (record.bytesSent === total) {
        record.done = true;
        response.end();
        return;
      }
    }
  }
}

/** Writes with backpressure; false when the client went away. */
function write(response: ServerResponse, bytes: Buffer): Promise<boolean> {
  if (response.destroyed) return Promise.resolve(false);
  if (response.write(bytes)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ok: boolean) => {
      response.off("drain", onDrain);
      response.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => settle(true);
    const onClose = () => settle(false);
    response.once("drain", onDrain);
    response.once("close", onClose);
  });
}

/**
 * Ends the connection mid-body: a clean close (FIN) for `truncate`; for `drop` a reset (RST) once the bytes sent
 * have left and the client has had a moment to read them (a reset makes the peer discard what it has not read).
 */
function cut(response: ServerResponse, kind: "drop" | "truncate" | "stall"): void {
  const socket = response.socket;
  if (!socket) return;
  if (kind === "truncate") {
    socket.end();
    return;
  }
  socket.write(Buffer.alloc(0), () => {
    setTimeout(() => socket.resetAndDestroy(), DROP_AFTER_FLUSH_MS);
  });
}

const DROP_AFTER_FLUSH_MS = 100;
