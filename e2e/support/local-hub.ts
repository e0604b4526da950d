import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { modelInfo, pathsInfo, readPathsInfoBody, treeEntries } from "./local-hub/api.ts";
import {
  byteAt,
  DEFAULT_LFS_PATTERNS,
  type FileVersion,
  HashBook,
  type LfsRule,
  pointerFile,
  scanSnapshot,
  withLastByteFlipped,
} from "./local-hub/content.ts";
import { FaultBook, type FaultHandle, type FaultRule } from "./local-hub/faults.ts";
import {
  answerPreflight,
  bearerToken,
  corsHeaders,
  errorHeaders,
  type HubErrorAnswer,
  type HubOrigin,
  parseRange,
  sendJson,
} from "./local-hub/http.ts";
import { type HubRequest, type RequestFilter, RequestLog } from "./local-hub/log.ts";
import {
  accessProblem,
  type Commit,
  firstCommit,
  HubRepo,
  type OldCommits,
  type RepoAccess,
} from "./local-hub/repos.ts";
import { sendFile } from "./local-hub/serve.ts";

export type { FaultHandle, FaultKind, FaultRule, FaultTarget } from "./local-hub/faults.ts";
export type { HubRequest, RequestFilter } from "./local-hub/log.ts";
export type { OldCommits, RepoAccess } from "./local-hub/repos.ts";

/** A repository the local hub serves from a snapshot folder on disk. */
export interface LocalHubRepo {
  /** `owner/name`. */
  id: string;
  /** The snapshot folder (a `--local-dir` download, a hub cache snapshot, a generated checkpoint). */
  dir: string;
  /** The folder of the repository the snapshot's files sit in (`GeoZero-8B-without-RFT`); none for the root. */
  subfolder?: string;
  /** Default `public`. */
  access?: RepoAccess;
  /** Tokens granted access to a gated or private repository; default: every token the hub knows. */
  grantedTokens?: string[];
  /** The commit id `main` starts at; default: derived from the id and the files' paths, sizes and mtimes. */
  commit?: string;
}

/** How the local hub is set up. */
export interface LocalHubOptions {
  repos: LocalHubRepo[];
  /** The tokens of the hub's users (`Authorization: Bearer <token>`); any other token is refused with 401. */
  tokens?: string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** The hub's port; default a free one. */
  port?: number;
  /** The CDN's port (where large files redirect); default a free one. */
  cdnPort?: number;
  /** Files larger than this are LFS files, redirected to the CDN (default 1,000,000 bytes). */
  lfsThreshold?: number;
  /** Names that are LFS files whatever their size (default: weights, as the hub's default `.gitattributes`). */
  lfsPatterns?: RegExp[];
  /** Entries per page of a tree listing before a `Link: rel="next"` (default 1000, as the hub). */
  treePageSize?: number;
  /** Where SHA-256s of files of 64 MiB and more are kept between runs; null: nowhere. Default `.cache/local-hub-sha256.json`. */
  hashCacheFile?: string | null;
}

/** A running local hub: its URLs, what it serves, its faults and its request log. */
export interface LocalHub {
  /** The hub's base URL, for `hubUrl` (`http://127.0.0.1:PORT`). */
  readonly url: string;
  /** The CDN's base URL (large files redirect there). */
  readonly cdnUrl: string;
  /** The commit `main` points at now. `repo` defaults to the first repository served (here and below). */
  commit(repo?: string): string;
  /** `{url}/{repo}/resolve/{revision}/{path}` (revision default `main`). */
  resolveUrl(path: string, options?: { repo?: string; revision?: string }): string;
  /** Resolves when every LFS file's SHA-256 is known (started at once; a benchmark waits for it before timing). */
  hashesReady(): Promise<void>;
  /** Registers a fault; see {@link FaultRule}. */
  fail(rule: FaultRule): FaultHandle;
  /** Retires every fault and frees stalled responses. */
  clearFaults(): void;
  /**
   * Commits a change to `path` on `main`: `content`, or by default the same bytes with the last one inverted (same size,
   * new SHA-256 and ETag). Returns the new commit id. `oldCommits` (default `new-content`) says what earlier commits serve.
   */
  changeFile(change: { repo?: string; path: string; content?: Uint8Array; oldCommits?: OldCommits }): Promise<string>;
  /** Commits the deletion of `path` on `main`; returns the new commit id. */
  deleteFile(change: { repo?: string; path: string; oldCommits?: OldCommits }): Promise<string>;
  /** Every request so far, in arrival order (a live array). */
  readonly requests: readonly HubRequest[];
  /** The requests that match. */
  requestsFor(filter?: RequestFilter): HubRequest[];
  /** Body bytes sent for the matching requests (file bytes for file reads). */
  bytesServed(filter?: RequestFilter): number;
  /** Byte ranges (end inclusive) asked by the reads of matching files answered with bytes (not redirects). */
  rangesRequested(filter?: RequestFilter): { start: number; end: number }[];
  clearRequests(): void;
  close(): Promise<void>;
}

/** A request being answered. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  record: HubRequest;
  cors: Record<string, string>;
  segments: string[];
  query: URLSearchParams;
}

/** Starts the hub and its CDN on free ports (or those given) and begins hashing the LFS files in the background. */
export async function startLocalHub(options: LocalHubOptions): Promise<LocalHub> {
  const hub = new LocalHubServer(options);
  await hub.start();
  return hub.api();
}

class LocalHubServer {
  private readonly repos = new Map<string, HubRepo>();
  private readonly knownTokens: Set<string>;
  private readonly lfs: LfsRule;
  private readonly hashes: HashBook;
  private readonly faults = new FaultBook();
  private readonly log = new RequestLog();
  private readonly cdnFiles = new Map<string, FileVersion>();
  private readonly hubServer: Server;
  private readonly cdnServer: Server;
  private hashing: Promise<unknown> = Promise.resolve();
  url = "";
  cdnUrl = "";

  constructor(private readonly options: LocalHubOptions) {
    this.lfs = {
      threshold: options.lfsThreshold ?? 1_000_000,
      patterns: options.lfsPatterns ?? DEFAULT_LFS_PATTERNS,
    };
    this.hashes = new HashBook(
      options.hashCacheFile === undefined ? join(".cache", "local-hub-sha256.json") : options.hashCacheFile,
    );
    this.knownTokens = new Set([...(options.tokens ?? []), ...options.repos.flatMap((r) => r.grantedTokens ?? [])]);
    this.hubServer = createServer((request, response) => this.handle("hub", request, response));
    this.cdnServer = createServer((request, response) => this.handle("cdn", request, response));
  }

  async start(): Promise<void> {
    for (const repo of this.options.repos) {
      if (!/^[^/\s]+\/[^/\s]+$/.test(repo.id)) throw new Error(`Repository id "${repo.id}" is not owner/name.`);
      const files = await scanSnapshot(repo.dir, repo.subfolder?.replace(/^\/+|\/+$/g, ""), this.lfs);
      if (files.length === 0) throw new Error(`${repo.dir} holds no files to serve as ${repo.id}.`);
      const first = firstCommit(repo.id, files, repo.commit);
      this.repos.set(repo.id, new HubRepo(repo.id, repo.access ?? "public", repo.grantedTokens, first));
    }
    const host = this.options.host ?? "127.0.0.1";
    this.url = await listen(this.hubServer, host, this.options.port ?? 0);
    this.cdnUrl = await listen(this.cdnServer, host, this.options.cdnPort ?? 0);
    const lfsFiles = [...this.repos.values()].flatMap((repo) => [...repo.main.files.values()].filter((f) => f.lfs));
    this.hashing = this.hashes.warm(lfsFiles);
    this.hashing.catch(() => {});
  }

  api(): LocalHub {
    const log = this.log;
    return {
      url: this.url,
      cdnUrl: this.cdnUrl,
      commit: (repo) => this.repo(repo).main.id,
      resolveUrl: (path, { repo, revision = "main" } = {}) =>
        `${this.url}/${this.repo(repo).id}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`,
      hashesReady: async () => {
        await this.hashing;
      },
      fail: (rule) => this.faults.add(rule),
      clearFaults: () => this.faults.clear(),
      changeFile: (change) => this.changeFile(change),
      deleteFile: async ({ repo, path, oldCommits = "new-content" }) => {
        const hubRepo = this.repo(repo);
        if (!hubRepo.main.files.has(path)) throw new Error(`${hubRepo.id} has no file "${path}" on main.`);
        return hubRepo.commitChange(path, null, "deleted", oldCommits).id;
      },
      get requests() {
        return log.entries;
      },
      requestsFor: (filter) => log.filter(filter),
      bytesServed: (filter) => log.bytesServed(filter),
      rangesRequested: (filter) => log.rangesRequested(filter),
      clearRequests: () => log.clear(),
      close: () => this.close(),
    };
  }

  /** The repository named, or the first one served. */
  private repo(id: string | undefined): HubRepo {
    const repo = id === undefined ? [...this.repos.values()][0] : this.repos.get(id);
    if (!repo)
      throw new Error(`Name one of the served repositories (${[...this.repos.keys()].join(", ")}), not ${id}.`);
    return repo;
  }

  private async changeFile(change: {
    repo?: string;
    path: string;
    content?: Uint8Array;
    oldCommits?: OldCommits;
  }): Promise<string> {
    const repo = this.repo(change.repo);
    const current = repo.main.files.get(change.path);
    let next: FileVersion;
    if (change.content) {
      const size = change.content.length;
      const lfs = size > this.lfs.threshold || this.lfs.patterns.some((pattern) => pattern.test(change.path));
      next = { path: change.path, size, lfs, source: { kind: "memory", bytes: change.content } };
    } else if (current) {
      next = withLastByteFlipped(current, await byteAt(current, current.size - 1));
    } else {
      throw new Error(`${repo.id} has no file "${change.path}" on main: give the new file's content.`);
    }
    const hash = await this.hashes.contentHash(next);
    return repo.commitChange(change.path, next, hash, change.oldCommits ?? "new-content").id;
  }

  private async close(): Promise<void> {
    this.faults.clear();
    const closing = [this.hubServer, this.cdnServer].map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
    this.hubServer.closeAllConnections();
    this.cdnServer.closeAllConnections();
    await Promise.all(closing);
  }

  private async handle(origin: HubOrigin, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://local-hub");
    const query = url.searchParams;
    const record = this.log.add({
      origin,
      method: request.method ?? "GET",
      url: request.url ?? "/",
      ...(request.headers.range ? { range: request.headers.range } : {}),
    });
    const exchange: Exchange = { request, response, record, cors: corsHeaders(request, origin), segments: [], query };
    try {
      const segments = url.pathname.split("/").slice(1).map(decodeURIComponent);
      exchange.segments = segments;
      if (request.method === "OPTIONS") answerPreflight(request, response, origin);
      else if (origin === "cdn") await this.serveCdn(exchange);
      else if (segments[0] === "api" && segments[1] === "models") await this.serveApi(exchange);
      else if (segments[2] === "resolve" || segments[2] === "raw") await this.serveFile(exchange);
      else this.sendError(exchange, { status: 404, message: "Sorry, we can't find the page you are looking for." });
    } catch (error) {
      const message = `Local hub: ${error instanceof Error ? error.message : String(error)}`;
      if (response.headersSent) response.destroy();
      else this.sendError(exchange, { status: 500, message });
    }
    record.status ||= response.statusCode;
  }

  private sendError(exchange: Exchange, error: HubErrorAnswer, headers: Record<string, string> = {}): void {
    const { request, response, record, cors } = exchange;
    const errorBody = { error: error.message };
    record.bytesSent += sendJson(
      request,
      response,
      error.status,
      { ...cors, ...headers, ...errorHeaders(error) },
      errorBody,
    );
    record.status = error.status;
    record.done = true;
  }

  private sendJson(exchange: Exchange, value: unknown, headers: Record<string, string> = {}): void {
    const { request, response, record, cors } = exchange;
    record.bytesSent += sendJson(request, response, 200, { ...cors, ...headers }, value);
    record.status = 200;
    record.done = true;
  }

  /** Runs the status and change faults that strike before the answer; true when one answered the request. */
  private async earlyFault(exchange: Exchange, api: boolean, repo: string, file?: string): Promise<boolean> {
    const { request, record } = exchange;
    const range = parseRange(request.headers.range, Number.MAX_SAFE_INTEGER);
    const fault = this.faults.takeEarly({
      origin: record.origin,
      method: request.method ?? "GET",
      api,
      repo,
      file,
      rangeStart: range.kind === "range" ? range.start : undefined,
    });
    if (!fault) return false;
    record.faults.push(fault.kind);
    if (fault.kind === "change" && file !== undefined) {
      await this.changeFile({ repo, path: file, content: fault.content, oldCommits: fault.oldCommits });
      return false;
    }
    if (fault.kind !== "status") return false;
    const retry: Record<string, string> =
      fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) };
    const message = fault.message ?? STATUS_CODES[fault.status] ?? `HTTP ${fault.status}`;
    this.sendError(exchange, { status: fault.status, message }, retry);
    return true;
  }

  /** The commit a request may read, or the error answer that refuses it. */
  private reachCommit(exchange: Exchange, repoId: string, revision: string, content: boolean): Commit | undefined {
    const repo = this.repos.get(repoId);
    const reader = { token: bearerToken(exchange.request), knownTokens: this.knownTokens };
    const problem = accessProblem(repoId, repo, reader, content, this.url);
    const commit = problem ? undefined : repo?.revision(revision);
    if (problem) this.sendError(exchange, problem);
    else if (!commit) {
      this.sendError(exchange, { status: 404, code: "RevisionNotFound", message: `Invalid rev id: ${revision}` });
    }
    return commit;
  }

  private async serveApi(exchange: Exchange): Promise<void> {
    const { segments, query, request } = exchange;
    const repoId = `${segments[2]}/${segments[3]}`;
    const [action, revision = "main", ...rest] = segments.slice(4);
    Object.assign(exchange.record, { repo: repoId, revision });
    if (await this.earlyFault(exchange, true, repoId)) return;
    const listing = action === "tree" || action === "paths-info";
    const commit = this.reachCommit(exchange, repoId, revision, false);
    if (!commit) return;
    const repo = this.repo(repoId);
    const expandAll = flag(query, "expand");
    if (action === undefined || action === "revision") {
      const expand = [...query.getAll("expand"), ...query.getAll("expand[]")];
      return this.sendJson(exchange, await modelInfo(repo, commit, expand));
    }
    if (!listing) return this.sendError(exchange, { status: 404, message: `Unknown model API: ${action}` });
    if (action === "paths-info") {
      const asked = await readPathsInfoBody(request);
      return this.sendJson(exchange, await pathsInfo(commit, asked.paths, asked.expand, this.hashes));
    }
    const folder = rest.join("/").replace(/\/+$/, "");
    const entries = await treeEntries(commit, folder, flag(query, "recursive"), expandAll, this.hashes);
    if (!entries) {
      return this.sendError(exchange, { status: 404, code: "EntryNotFound", message: `${folder} does not exist` });
    }
    const pageSize = this.options.treePageSize ?? 1000;
    const offset = Number(Buffer.from(query.get("cursor") ?? "", "base64url").toString() || 0);
    const page = entries.slice(offset, offset + pageSize);
    if (offset + pageSize >= entries.length) return this.sendJson(exchange, page);
    const next = new URL(exchange.request.url ?? "", this.url);
    next.searchParams.set("cursor", Buffer.from(String(offset + pageSize)).toString("base64url"));
    this.sendJson(exchange, page, { link: `<${next.href}>; rel="next"` });
  }

  private async serveFile(exchange: Exchange): Promise<void> {
    const { segments, record } = exchange;
    const repoId = `${segments[0]}/${segments[1]}`;
    const revision = segments[3] ?? "";
    const path = segments.slice(4).join("/");
    Object.assign(record, { repo: repoId, revision, file: path });
    if (await this.earlyFault(exchange, false, repoId, path)) return;
    const commit = this.reachCommit(exchange, repoId, revision, true);
    if (!commit) return;
    const commitHeader = { "x-repo-commit": commit.id };
    const stored = commit.files.get(path);
    if (!stored) {
      const missing = { status: 404, code: "EntryNotFound" as const, message: "Entry not found" };
      return this.sendError(exchange, missing, commitHeader);
    }
    const hash = await this.hashes.contentHash(stored);
    const raw = segments[2] === "raw";
    if (stored.lfs && !raw) return this.redirectToCdn(exchange, repoId, stored, hash, commitHeader);
    const version = stored.lfs ? pointerFile(stored, hash) : stored;
    const etag = `"${stored.lfs ? await this.hashes.contentHash(version) : hash}"`;
    const headers = { ...exchange.cors, ...commitHeader };
    const facts = {
      origin: "hub" as const,
      method: exchange.request.method ?? "GET",
      api: false,
      repo: repoId,
      file: path,
    };
    await sendFile(exchange.request, exchange.response, { version, etag, headers, facts, record }, this.faults);
  }

  /** The hub's answer for an LFS file: 302 to the CDN, with the file's size, ETag and the commit in headers. */
  private redirectToCdn(
    exchange: Exchange,
    repoId: string,
    version: FileVersion,
    sha256: string,
    commitHeader: Record<string, string>,
  ): void {
    const key = `/repos/${repoId}/${sha256}`;
    this.cdnFiles.set(key, version);
    const location = `${this.cdnUrl}${key}/${encodePath(version.path)}`;
    const body = Buffer.from(`Found. Redirecting to ${location}`);
    exchange.response.writeHead(302, {
      ...exchange.cors,
      ...commitHeader,
      location,
      "x-linked-size": String(version.size),
      "x-linked-etag": `"${sha256}"`,
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(body.length),
    });
    exchange.response.end(exchange.request.method === "HEAD" ? undefined : body);
    exchange.record.status = 302;
    exchange.record.done = true;
  }

  /** The CDN: LFS files by `/repos/{owner}/{name}/{sha256}/{path}`, without authentication (the URL is the key). */
  private async serveCdn(exchange: Exchange): Promise<void> {
    const { segments, record, request } = exchange;
    const [, owner, name, sha256] = segments;
    const repoId = `${owner}/${name}`;
    const version = this.cdnFiles.get(`/repos/${repoId}/${sha256}`);
    Object.assign(record, { repo: repoId, file: version?.path ?? segments.slice(4).join("/") });
    if (await this.earlyFault(exchange, false, repoId, record.file)) return;
    if (!version) return this.sendError(exchange, { status: 404, message: "NoSuchKey: no such object on the CDN." });
    const facts = {
      origin: "cdn" as const,
      method: request.method ?? "GET",
      api: false,
      repo: repoId,
      file: version.path,
    };
    const fileName = encodeURIComponent(version.path.split("/").pop() ?? "");
    const headers = { ...exchange.cors, "content-disposition": `inline; filename*=UTF-8''${fileName}` };
    await sendFile(request, exchange.response, { version, etag: `"${sha256}"`, headers, facts, record }, this.faults);
  }
}

/** A boolean query parameter as clients send it (`true`, `True`, `1`). */
function flag(query: URLSearchParams, name: string): boolean {
  return ["true", "1"].includes((query.get(name) ?? "").toLowerCase());
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

async function listen(server: Server, host: string, port: number): Promise<string> {
  server.listen(port, host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  return `http://${host}:${address.port}`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      repo: { type: "string" },
      subfolder: { type: "string" },
      port: { type: "string", default: "0" },
      "cdn-port": { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      token: { type: "string" },
      access: { type: "string", default: "public" },
      rate: { type: "string" },
    },
  });
  const [dir] = positionals;
  const access = values.access as RepoAccess;
  if (!dir || !values.repo || !["public", "gated", "private"].includes(access)) {
    throw new Error(
      "Usage: npx tsx e2e/support/local-hub.ts <snapshot-dir> --repo owner/name [--subfolder X] [--port N] " +
        "[--cdn-port N] [--host H] [--token T --access gated|private] [--rate BYTES_PER_SECOND]",
    );
  }
  const hub = await startLocalHub({
    repos: [{ id: values.repo, dir, subfolder: values.subfolder, access }],
    tokens: values.token ? [values.token] : [],
    host: values.host,
    port: Number(values.port),
    cdnPort: Number(values["cdn-port"]),
  });
  if (values.rate) hub.fail({ kind: "slow", bytesPerSecond: Number(values.rate), times: Number.POSITIVE_INFINITY });
  console.log(`Serving ${dir} as ${values.repo}${values.subfolder ? ` (subfolder ${values.subfolder})` : ""}.`);
  console.log(`Hub URL: ${hub.url}   (CDN: ${hub.cdnUrl})   main = ${hub.commit()}`);
  const started = performance.now();
  await hub.hashesReady();
  console.log(
    `SHA-256 of the LFS files known after ${((performance.now() - started) / 1000).toFixed(1)} s. Ctrl-C stops.`,
  );
  process.once("SIGINT", () => void hub.close().then(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
