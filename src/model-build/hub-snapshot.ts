import { HubApiError, listFiles, modelInfo } from "@huggingface/hub";
import type { SnapshotReader } from "../convert/safetensors/read.ts";
import { SnapshotError } from "../convert/snapshot-error.ts";
import { type ByteSource, FetchSourceError, fetchOrProblem } from "../io/source";
import { BuildError } from "./build-errors";

/** A repository folder on a Hugging Face hub, as the user names it. */
export interface HubLocation {
  /** the hub's base URL (a setting; https://huggingface.co by default) */
  hubUrl: string;
  /** owner/name */
  repo: string;
  /** a branch, tag or commit; resolved to a commit when the build starts */
  revision: string;
  /** folder inside the repository ("" for its root) */
  subfolder: string;
}

/** What a hub snapshot reports while it is read. */
export interface HubReadEvents {
  /** bytes of a range response received */
  onBytes?: (bytes: number) => void;
  /** the network is down or a request failed: the read waits and retries (null when it goes on) */
  onWaiting?: (reason: string | null) => void;
  /** the first ETag seen of each file, to pin across a resumed build */
  onPinned?: (file: string, etag: string) => void;
}

/** The default hub. */
export const HUB_URL = "https://huggingface.co";

/**
 * Resolves a repository folder at a revision to its commit and lists its files (the hub's API, through
 * `@huggingface/hub`), so every later read names the commit: a branch that moves mid-build cannot mix versions.
 */
export async function openHubSnapshot(
  location: HubLocation,
  token: string | null,
  events: HubReadEvents & { pinned?: Record<string, string> } = {},
  signal?: AbortSignal,
): Promise<HubSnapshot> {
  const recorder = new ErrorCodeRecorder(signal);
  const credentials = token ? { accessToken: token } : {};
  const hub = { hubUrl: location.hubUrl, fetch: recorder.fetch, ...credentials };
  let commit: string;
  try {
    const info = await modelInfo({
      ...hub,
      name: location.repo,
      revision: location.revision,
      additionalFields: ["sha"],
    });
    commit = String((info as { sha?: string }).sha ?? "");
  } catch (error) {
    throw hubProblem(error, location, recorder.code, token !== null, "revision");
  }
  if (!/^[0-9a-f]{40}$/.test(commit)) commit = location.revision;
  const files = new Map<string, number>();
  const prefix = location.subfolder ? `${location.subfolder.replace(/\/+$/, "")}/` : "";
  try {
    for await (const entry of listFiles({
      ...hub,
      repo: location.repo,
      revision: commit,
      path: prefix || undefined,
      recursive: true,
    })) {
      if (entry.type === "file" && entry.path.startsWith(prefix))
        files.set(entry.path.slice(prefix.length), entry.size);
    }
  } catch (error) {
    throw hubProblem(error, location, recorder.code, token !== null, location.subfolder ? "subfolder" : "revision");
  }
  return new HubSnapshot(location, commit, files, token, events);
}

/** Reads the hub's `X-Error-Code` header of the last failed API call (the client's errors carry only the status). */
class ErrorCodeRecorder {
  code: string | null = null;
  constructor(private readonly signal?: AbortSignal) {}
  readonly fetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, { ...init, signal: this.signal });
    if (!response.ok) this.code = response.headers.get("x-error-code");
    return response;
  };
}

function hubProblem(
  error: unknown,
  location: HubLocation,
  code: string | null,
  tokenGiven: boolean,
  missing: "revision" | "subfolder",
): unknown {
  if (!(error instanceof HubApiError)) return error;
  const { statusCode } = error;
  // The hub answers a missing repository and a private one alike (401 without a token, 404 with one).
  if (code === "RepoNotFound" && (statusCode === 401 || statusCode === 404))
    return new BuildError({ kind: "not-found", what: "repository", name: location.repo, status: statusCode });
  if (statusCode === 401 || statusCode === 403) {
    return new BuildError({
      kind: "needs-access",
      repo: location.repo,
      status: statusCode,
      gated: code === "GatedRepo",
      tokenGiven,
    });
  }
  if (statusCode === 404) {
    const name =
      missing === "subfolder" ? `${location.repo}/${location.subfolder}` : `${location.repo}@${location.revision}`;
    return new BuildError({ kind: "not-found", what: missing, name, status: 404 });
  }
  return error;
}

/** Whose file a read is, for what a refusal says. */
interface FileAccess {
  repo: string;
  tokenGiven: boolean;
}

/**
 * A file of the repository. The hub refuses a gated or private repository's files (401 without a token, 403 with one
 * not granted) even where its listing is public: that is the repository needing access, as its API says.
 */
async function fetchHubFile(url: string, init: RequestInit, access: FileAccess): Promise<Response> {
  const recorder = new ErrorCodeRecorder(init.signal ?? undefined);
  try {
    return await fetchOrProblem(url, init, recorder.fetch);
  } catch (error) {
    const status = error instanceof FetchSourceError && error.problem.kind === "http-status" ? error.problem.status : 0;
    if (status !== 401 && status !== 403) throw error;
    throw new BuildError({ kind: "needs-access", ...access, status, gated: recorder.code === "GatedRepo" });
  }
}

/** A repository folder at one commit, read file by file (text) and by range (shards). */
export class HubSnapshot implements SnapshotReader {
  readonly label: string;

  constructor(
    readonly location: HubLocation,
    readonly commit: string,
    /** sizes by path inside the folder */
    readonly files: ReadonlyMap<string, number>,
    private readonly token: string | null,
    private readonly events: HubReadEvents & { pinned?: Record<string, string> } = {},
  ) {
    this.label = `${location.repo}@${commit.slice(0, 7)}${location.subfolder ? `/${location.subfolder}` : ""}`;
  }

  /** The URL of a file at the pinned commit. */
  url(name: string): string {
    const path = [this.location.subfolder, name].filter(Boolean).join("/");
    return `${this.location.hubUrl}/${this.location.repo}/resolve/${this.commit}/${path.split("/").map(encodeURIComponent).join("/")}`;
  }

  async readText(name: string, signal?: AbortSignal): Promise<string | undefined> {
    if (!this.files.has(name)) return undefined;
    const response = await fetchHubFile(this.url(name), { headers: this.authorization(), signal }, this.access());
    return response.text();
  }

  open(name: string): ByteSource | undefined {
    const size = this.files.get(name);
    if (size === undefined) return undefined;
    return new HubFileSource(this.url(name), name, size, this.authorization(), this.access(), {
      ...this.events,
      pinned: this.events.pinned?.[name],
    });
  }

  private access(): FileAccess {
    return { repo: this.location.repo, tokenGiven: this.token !== null };
  }

  private authorization(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }
}

/** Waits between retries of a read the network broke: 1, 2, 4 … 30 s. */
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000, 30000];
/** Server errors (5xx) and short reads are retried this often before the build stops. */
const MAX_SERVER_RETRIES = 4;

/**
 * One file of the snapshot read by HTTP range, its size known from the listing (no HEAD: presigned URLs answer GET
 * only). Every range answer must carry the ETag first seen (a file that changes mid-build fails with
 * `source-changed`); a dropped connection or an offline network waits and retries, for as long as it takes, until
 * the signal aborts.
 */
class HubFileSource implements ByteSource {
  private pinned: string | undefined;

  constructor(
    readonly key: string,
    private readonly name: string,
    private readonly bytes: number,
    private readonly headers: Record<string, string>,
    private readonly access: FileAccess,
    private readonly events: HubReadEvents & { pinned?: string },
  ) {
    this.pinned = events.pinned;
  }

  async size(): Promise<number> {
    return this.bytes;
  }

  async getBytes(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (offset + length > this.bytes) {
      throw new SnapshotError(this.name, {
        kind: "truncated",
        shard: this.name,
        expectedBytes: offset + length,
        actualBytes: this.bytes,
      });
    }
    let failures = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const bytes = await this.fetchRange(offset, length, signal);
        if (attempt > 0) this.events.onWaiting?.(null);
        return bytes;
      } catch (error) {
        signal?.throwIfAborted();
        const retry = retryable(error);
        if (!retry) throw error;
        if (retry === "server" && ++failures > MAX_SERVER_RETRIES) throw error;
        this.events.onWaiting?.(
          `${this.name}: ${retry === "network" ? "the connection dropped" : "the server failed"}; trying again`,
        );
        await waitForNetwork(RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)], signal);
      }
    }
  }

  private async fetchRange(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const range = `bytes=${offset}-${offset + length - 1}`;
    const response = await fetchHubFile(this.key, { headers: { ...this.headers, range }, signal }, this.access);
    if (response.status !== 206) {
      await response.body?.cancel();
      throw new FetchSourceError(this.key, { kind: "no-range-support", size: this.bytes });
    }
    this.checkEtag(response.headers.get("etag"));
    const bytes = new Uint8Array(
      await response.arrayBuffer().catch(() => {
        throw new DroppedRead();
      }),
    );
    if (bytes.byteLength !== length) throw new ShortRead(this.key, offset, length, bytes.byteLength);
    this.events.onBytes?.(bytes.byteLength);
    return bytes;
  }

  private checkEtag(etag: string | null): void {
    if (etag === null) return;
    if (this.pinned === undefined) {
      this.pinned = etag;
      this.events.onPinned?.(this.name, etag);
      return;
    }
    if (etag !== this.pinned)
      throw new BuildError({ kind: "source-changed", file: this.name, before: this.pinned, after: etag });
  }
}

/** A response body that broke off (the connection dropped mid-range). */
class DroppedRead extends Error {}

/** A range answered with fewer bytes than asked. */
class ShortRead extends FetchSourceError {
  constructor(url: string, offset: number, length: number, got: number) {
    super(url, { kind: "short-read", offset, length, got });
  }
}

/** Whether a failed read is worth another try: a broken network (wait for it), a server error or a short answer. */
function retryable(error: unknown): "network" | "server" | null {
  if (error instanceof DroppedRead) return "network";
  if (error instanceof ShortRead) return "server";
  if (!(error instanceof FetchSourceError)) return null;
  if (error.problem.kind === "unreachable") return "network";
  if (error.problem.kind === "http-status" && error.problem.status >= 500) return "server";
  return null;
}

/** Waits `ms`, and then, while the browser says it is offline, until it is back online. */
async function waitForNetwork(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
  while (typeof navigator !== "undefined" && navigator.onLine === false) {
    signal?.throwIfAborted();
    await new Promise<void>((resolve) => {
      const back = () => resolve();
      self.addEventListener("online", back, { once: true });
      setTimeout(back, 5000);
    });
  }
}
