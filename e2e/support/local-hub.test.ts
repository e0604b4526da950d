import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkRepoAccess,
  downloadFile,
  fileDownloadInfo,
  HubApiError,
  listFiles,
  modelInfo,
  parseSafetensorsMetadata,
  pathsInfo,
} from "@huggingface/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY_SIZES, writeSyntheticSnapshot } from "../../tools/convert/testing/synthetic.ts";
import { type LocalHub, startLocalHub } from "./local-hub.ts";

const SUB = "GeoZero-tiny";
const SHARD = `${SUB}/model-00002-of-00002.safetensors`;
const USER = "hf_user_token";
const OTHER = "hf_other_token";
let root: string;
let snapshot: string;
let hub: LocalHub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "local-hub-"));
  snapshot = join(root, "snapshot");
  await writeSyntheticSnapshot(snapshot, TINY_SIZES);
  await writeFile(join(snapshot, ".gitattributes"), "*.safetensors filter=lfs diff=lfs merge=lfs -text\n");
  await writeFile(join(snapshot, ".inputs-sha256"), "not part of a snapshot");
  await mkdir(join(snapshot, ".cache", "huggingface"), { recursive: true });
  await writeFile(join(snapshot, ".cache", "huggingface", "config.json.metadata"), "download metadata");
  hub = await startLocalHub({
    repos: [
      { id: "test/tiny", dir: snapshot, subfolder: SUB },
      { id: "test/gated", dir: snapshot, subfolder: SUB, access: "gated", grantedTokens: [USER] },
      { id: "test/private", dir: snapshot, subfolder: SUB, access: "private", grantedTokens: [USER] },
    ],
    tokens: [USER, OTHER],
    treePageSize: 4,
    hashCacheFile: null,
  });
});

afterAll(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

const onDisk = (name: string) => readFile(join(snapshot, name));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function apiError(call: Promise<unknown>): Promise<HubApiError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HubApiError);
  return error as HubApiError;
}

describe("revisions and model info", () => {
  it("resolves main and the commit id itself to the same 40-hex commit, through @huggingface/hub", async () => {
    const info = await modelInfo({ name: "test/tiny", hubUrl: hub.url, additionalFields: ["sha", "filePaths"] });
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(info.sha).toBe(hub.commit("test/tiny"));
    expect(info.filePaths).toContain(`${SUB}/config.json`);
    expect(info.filePaths).toContain(SHARD);
    expect(info.private).toBe(false);
    const pinned = await modelInfo({
      name: "test/tiny",
      hubUrl: hub.url,
      revision: info.sha,
      additionalFields: ["sha"],
    });
    expect(pinned.sha).toBe(info.sha);
  });

  it("answers only the expanded keys, as the hub does (no sha unless asked)", async () => {
    const response = await fetch(`${hub.url}/api/models/test/tiny/revision/main?expand=private&expand=gated`);
    expect(await response.json()).toEqual({ _id: expect.any(String), id: "test/tiny", private: false, gated: false });
  });

  it("derives the commit from the files, so a restarted hub over the same folder names the same commit", async () => {
    const again = await startLocalHub({
      repos: [{ id: "test/tiny", dir: snapshot, subfolder: SUB }],
      hashCacheFile: null,
    });
    try {
      expect(again.commit()).toBe(hub.commit("test/tiny"));
    } finally {
      await again.close();
    }
  });

  it("refuses an unknown revision (404 RevisionNotFound) and an unknown repository (RepoNotFound)", async () => {
    const revision = await fetch(`${hub.url}/api/models/test/tiny/revision/v9`);
    expect(revision.status).toBe(404);
    expect(revision.headers.get("x-error-code")).toBe("RevisionNotFound");
    expect((await revision.json()).error).toBe("Invalid rev id: v9");
    const unknown = await apiError(modelInfo({ name: "test/none", hubUrl: hub.url }));
    expect(unknown.statusCode).toBe(401);
    const withToken = await fetch(`${hub.url}/api/models/test/none/revision/main`, { headers: bearer(USER) });
    expect([withToken.status, withToken.headers.get("x-error-code")]).toEqual([404, "RepoNotFound"]);
  });
});

describe("file listing", () => {
  it("lists every file recursively over several pages, with git blob ids and LFS SHA-256s", async () => {
    const entries = [];
    for await (const entry of listFiles({ repo: "test/tiny", recursive: true, hubUrl: hub.url })) entries.push(entry);
    const treeRequests = hub.requestsFor({ repo: "test/tiny" }).filter((r) => r.url.includes("/tree/"));
    expect(treeRequests.length).toBeGreaterThan(2);
    expect(treeRequests.slice(1).every((r) => r.url.includes("cursor="))).toBe(true);
    const files = entries.filter((entry) => entry.type === "file");
    expect(files.map((file) => file.path)).toContain(`${SUB}/tokenizer_config.json`);
    // Hidden files and folders are no part of a snapshot, but .gitattributes is.
    expect(files.filter((file) => file.path.includes("/."))).toEqual([
      expect.objectContaining({ path: `${SUB}/.gitattributes` }),
    ]);
    expect(files).toHaveLength(10);
    expect(entries.filter((entry) => entry.type === "directory").map((entry) => entry.path)).toEqual([SUB]);
    const config = files.find((file) => file.path === `${SUB}/config.json`);
    const gitId = execFileSync("git", ["hash-object", join(snapshot, "config.json")])
      .toString()
      .trim();
    expect(config).toMatchObject({ oid: gitId, size: (await stat(join(snapshot, "config.json"))).size });
    expect(config?.lfs).toBeUndefined();
    const shard = files.find((file) => file.path === SHARD);
    const bytes = await onDisk("model-00002-of-00002.safetensors");
    expect(shard?.lfs).toMatchObject({ oid: sha256(bytes), size: bytes.length });
    expect(shard?.lfs?.pointerSize).toBeGreaterThan(100);
  });

  it("answers paths-info for files and folders, and the repository's own page for checkRepoAccess", async () => {
    const infos = await pathsInfo({ repo: "test/tiny", paths: [SHARD, SUB, `${SUB}/none`], hubUrl: hub.url });
    expect(infos.map((info) => [info.type, info.path])).toEqual([
      ["file", SHARD],
      ["directory", SUB],
    ]);
    expect(infos[0].lfs?.size).toBe((await onDisk("model-00002-of-00002.safetensors")).length);
    await checkRepoAccess({ repo: "test/private", hubUrl: hub.url, accessToken: USER });
    const refused = await apiError(checkRepoAccess({ repo: "test/private", hubUrl: hub.url }));
    expect(refused.statusCode).toBe(401);
  });

  it("lists one folder's children without recursion, and refuses a missing folder", async () => {
    const top = [];
    for await (const entry of listFiles({ repo: "test/tiny", hubUrl: hub.url })) top.push(entry);
    expect(top.map((entry) => [entry.type, entry.path])).toEqual([["directory", SUB]]);
    const missing = await fetch(`${hub.url}/api/models/test/tiny/tree/main/nowhere`);
    expect([missing.status, missing.headers.get("x-error-code")]).toEqual([404, "EntryNotFound"]);
  });
});

describe("resolve", () => {
  it("answers a range of a small file with 206, Content-Range, ETag (git blob id) and the commit", async () => {
    const bytes = await onDisk("config.json");
    const response = await fetch(hub.resolveUrl(`${SUB}/config.json`), { headers: { range: "bytes=2-9" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 2-9/${bytes.length}`);
    expect(response.headers.get("content-length")).toBe("8");
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(response.headers.get("x-repo-commit")).toBe(hub.commit("test/tiny"));
    const gitId = execFileSync("git", ["hash-object", join(snapshot, "config.json")])
      .toString()
      .trim();
    expect(response.headers.get("etag")).toBe(`"${gitId}"`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes.subarray(2, 10));
  });

  it("answers open and suffix ranges, the whole file without Range, and 416 past the end", async () => {
    const bytes = await onDisk("config.json");
    const url = hub.resolveUrl(`${SUB}/config.json`);
    const read = async (range?: string) => {
      const response = await fetch(url, range ? { headers: { range } } : {});
      return [response.status, Buffer.from(await response.arrayBuffer())] as const;
    };
    expect(await read("bytes=1000-")).toEqual([206, bytes.subarray(1000)]);
    expect(await read("bytes=-5")).toEqual([206, bytes.subarray(-5)]);
    expect(await read()).toEqual([200, bytes]);
    const past = await fetch(url, { headers: { range: `bytes=${bytes.length}-` } });
    expect([past.status, past.headers.get("content-range")]).toEqual([416, `bytes */${bytes.length}`]);
  });

  it("redirects an LFS file to the CDN origin with X-Linked-Size, X-Linked-ETag and X-Repo-Commit", async () => {
    const bytes = await onDisk("model-00002-of-00002.safetensors");
    const url = hub.resolveUrl(SHARD);
    for (const method of ["GET", "HEAD"]) {
      const redirect = await fetch(url, { method, redirect: "manual", headers: { range: "bytes=0-7" } });
      expect(redirect.status).toBe(302);
      expect(new URL(redirect.headers.get("location") ?? "").origin).toBe(hub.cdnUrl);
      expect(redirect.headers.get("x-linked-size")).toBe(String(bytes.length));
      expect(redirect.headers.get("x-linked-etag")).toBe(`"${sha256(bytes)}"`);
      expect(redirect.headers.get("x-repo-commit")).toBe(hub.commit("test/tiny"));
    }
    const followed = await fetch(url, { headers: { range: "bytes=100-199" } });
    expect(new URL(followed.url).origin).toBe(hub.cdnUrl);
    expect(followed.status).toBe(206);
    expect(followed.headers.get("content-range")).toBe(`bytes 100-199/${bytes.length}`);
    expect(followed.headers.get("etag")).toBe(`"${sha256(bytes)}"`);
    expect(Buffer.from(await followed.arrayBuffer())).toEqual(bytes.subarray(100, 200));
  });

  it("gives 404 EntryNotFound for a missing file, which fileDownloadInfo reads as null", async () => {
    const missing = await fetch(hub.resolveUrl(`${SUB}/model-00003-of-00002.safetensors`));
    expect([missing.status, missing.headers.get("x-error-code")]).toEqual([404, "EntryNotFound"]);
    expect(await fileDownloadInfo({ repo: "test/tiny", path: `${SUB}/nothing.json`, hubUrl: hub.url })).toBeNull();
  });

  it("honours If-None-Match (304) and If-Match (412)", async () => {
    const url = hub.resolveUrl(`${SUB}/config.json`);
    const etag = (await fetch(url, { method: "HEAD" })).headers.get("etag") ?? "";
    expect((await fetch(url, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await fetch(url, { headers: { "if-match": '"0000"', range: "bytes=0-3" } })).status).toBe(412);
    expect((await fetch(url, { headers: { "if-match": etag, range: "bytes=0-3" } })).status).toBe(206);
  });

  it("sends the whole file for a range whose If-Range names another ETag", async () => {
    const url = hub.resolveUrl(`${SUB}/config.json`);
    const etag = (await fetch(url, { method: "HEAD" })).headers.get("etag") ?? "";
    expect((await fetch(url, { headers: { "if-range": etag, range: "bytes=0-3" } })).status).toBe(206);
    expect((await fetch(url, { headers: { "if-range": '"0000"', range: "bytes=0-3" } })).status).toBe(200);
  });

  it("serves what @huggingface/hub's fileDownloadInfo, downloadFile and parseSafetensorsMetadata read", async () => {
    const shard = await onDisk("model-00002-of-00002.safetensors");
    const info = await fileDownloadInfo({ repo: "test/tiny", path: SHARD, hubUrl: hub.url });
    expect(info).toMatchObject({ size: shard.length, etag: `"${sha256(shard)}"`, url: hub.resolveUrl(SHARD) });
    const blob = await downloadFile({ repo: "test/tiny", path: SHARD, hubUrl: hub.url });
    expect(Buffer.from(await (blob as Blob).slice(10, 30).arrayBuffer())).toEqual(shard.subarray(10, 30));
    const config = await downloadFile({ repo: "test/tiny", path: `${SUB}/config.json`, hubUrl: hub.url });
    expect(JSON.parse(await (config as Blob).text()).model_type).toBe("qwen3_vl");
    const metadata = await parseSafetensorsMetadata({
      repo: "test/tiny",
      path: `${SUB}/model.safetensors.index.json`,
      hubUrl: hub.url,
    });
    expect(metadata.sharded).toBe(true);
    const index = JSON.parse((await onDisk("model.safetensors.index.json")).toString()) as {
      weight_map: Record<string, string>;
    };
    expect(Object.keys(metadata.sharded ? metadata.headers : {})).toHaveLength(2);
    expect(Object.keys(index.weight_map).length).toBeGreaterThan(10);
  });

  it("answers /raw/ for an LFS file with its LFS pointer", async () => {
    const bytes = await onDisk("model-00002-of-00002.safetensors");
    const raw = await fetch(`${hub.url}/test/tiny/raw/main/${SHARD}`);
    expect(await raw.text()).toBe(
      `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(bytes)}\nsize ${bytes.length}\n`,
    );
  });
});

describe("CORS", () => {
  const origin = "http://127.0.0.1:4311";

  it("answers a preflight for a ranged, authorized read on the hub and on the CDN", async () => {
    for (const url of [hub.resolveUrl(SHARD), `${hub.cdnUrl}/repos/test/tiny/x/y`]) {
      const preflight = await fetch(url, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "GET",
          "access-control-request-headers": "range,authorization,if-match",
        },
      });
      expect(preflight.status).toBe(204);
      const allowed = (preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase();
      for (const header of ["range", "authorization", "accept", "if-match", "if-none-match", "content-type"]) {
        expect(allowed).toContain(header);
      }
      expect(preflight.headers.get("access-control-allow-methods")).toContain("HEAD");
    }
  });

  it("echoes the page's origin on the hub, answers * on the CDN, and exposes the headers a reader needs", async () => {
    const redirect = await fetch(hub.resolveUrl(SHARD), { redirect: "manual", headers: { origin } });
    expect(redirect.headers.get("access-control-allow-origin")).toBe(origin);
    const exposed = (redirect.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(
      expect.arrayContaining(["content-range", "etag", "x-linked-size", "x-linked-etag", "x-repo-commit", "link"]),
    );
    const cdn = await fetch(redirect.headers.get("location") ?? "", {
      headers: { origin: "null", range: "bytes=0-0" },
    });
    expect(cdn.headers.get("access-control-allow-origin")).toBe("*");
    expect(cdn.headers.get("access-control-expose-headers")).toContain("Content-Range");
  });
});

describe("tokens", () => {
  it("shows a gated repository's info and files to anyone but its bytes only to granted tokens", async () => {
    const info = await modelInfo({ name: "test/gated", hubUrl: hub.url });
    expect(info.gated).toBe("manual");
    const url = `${hub.url}/test/gated/resolve/main/${SUB}/config.json`;
    const anonymous = await fetch(url);
    expect([anonymous.status, anonymous.headers.get("x-error-code")]).toEqual([401, "GatedRepo"]);
    expect((await anonymous.json()).error).toMatch(/Access to model test\/gated is restricted.*Please log in/);
    const notGranted = await fetch(url, { headers: bearer(OTHER) });
    expect([notGranted.status, notGranted.headers.get("x-error-code")]).toEqual([403, "GatedRepo"]);
    expect((await notGranted.json()).error).toMatch(/not in the authorized list/);
    expect((await fetch(url, { headers: bearer(USER) })).status).toBe(200);
    const shard = await fileDownloadInfo({ repo: "test/gated", path: SHARD, hubUrl: hub.url, accessToken: USER });
    expect(shard?.size).toBe((await onDisk("model-00002-of-00002.safetensors")).length);
  });

  it("hides a private repository: 401 RepoNotFound without a token, 404 with one not granted", async () => {
    const anonymous = await apiError(modelInfo({ name: "test/private", hubUrl: hub.url }));
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.message).toMatch(/Repository not found/);
    const notGranted = await apiError(modelInfo({ name: "test/private", hubUrl: hub.url, accessToken: OTHER }));
    expect(notGranted.statusCode).toBe(404);
    const listing = await fetch(`${hub.url}/api/models/test/private/tree/main`, { headers: bearer(OTHER) });
    expect(listing.headers.get("x-error-code")).toBe("RepoNotFound");
    const granted = await modelInfo({ name: "test/private", hubUrl: hub.url, accessToken: USER });
    expect(granted.private).toBe(true);
  });

  it("refuses an unknown token everywhere, even on a public repository", async () => {
    const response = await fetch(hub.resolveUrl(`${SUB}/config.json`), { headers: bearer("hf_wrong") });
    expect(response.status).toBe(401);
    expect(response.headers.get("x-error-message")).toBe("Invalid credentials in Authorization header");
  });
});

describe("counting", () => {
  it("records each read with its range, status and bytes, and counts only the reads that carried bytes", async () => {
    hub.clearRequests();
    const size = (await onDisk("model-00001-of-00002.safetensors")).length;
    const half = Math.floor(size / 2);
    const url = hub.resolveUrl(`${SUB}/model-00001-of-00002.safetensors`);
    await (await fetch(url, { headers: { range: `bytes=0-${half - 1}` } })).arrayBuffer();
    await (await fetch(url, { headers: { range: `bytes=${half}-` } })).arrayBuffer();
    const shard = "model-00001-of-00002.safetensors";
    expect(hub.rangesRequested(shard)).toEqual([
      { start: 0, end: half - 1 },
      { start: half, end: size - 1 },
    ]);
    expect(hub.bytesServed(shard)).toBe(size);
    expect(hub.requestsFor({ file: shard, origin: "hub" }).map((r) => r.status)).toEqual([302, 302]);
    expect(hub.requestsFor({ file: shard, origin: "cdn" }).map((r) => [r.status, r.range, r.done])).toEqual([
      [206, `bytes=0-${half - 1}`, true],
      [206, `bytes=${half}-`, true],
    ]);
  });
});

describe("SHA-256 cache", () => {
  it("keeps large files' SHA-256 on disk by path, size and mtime, and rehashes a file that changed", async () => {
    const dir = join(root, "large");
    const big = join(dir, "big.bin");
    const cacheFile = join(root, "hashes.json");
    await mkdir(dir);
    await writeFile(big, "");
    await truncate(big, 64 << 20);
    const start = async () =>
      startLocalHub({ repos: [{ id: "test/large", dir }], hashCacheFile: cacheFile, lfsThreshold: 1 << 30 });
    const zeros = sha256(new Uint8Array(64 << 20));
    const first = await start();
    await first.hashesReady();
    await first.close();
    const cached = JSON.parse(await readFile(cacheFile, "utf8")) as Record<string, string>;
    expect(Object.values(cached)).toEqual([zeros]);
    const [key] = Object.keys(cached);
    await writeFile(cacheFile, JSON.stringify({ [key]: "f".repeat(64) }));
    const second = await start();
    const info = await fileDownloadInfo({ repo: "test/large", path: "big.bin", hubUrl: second.url });
    expect(info?.etag).toBe(`"${"f".repeat(64)}"`);
    await second.close();
    await utimes(big, new Date(), new Date(Date.now() + 5000));
    const third = await start();
    const rehashed = await fileDownloadInfo({ repo: "test/large", path: "big.bin", hubUrl: third.url });
    expect(rehashed?.etag).toBe(`"${zeros}"`);
    await third.close();
  });
});

describe("command line", () => {
  it("serves a snapshot folder and prints the hub URL", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "e2e/support/local-hub.ts", snapshot, "--repo", "cli/tiny", "--subfolder", SUB],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = once(child, "exit");
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = "";
        child.stdout.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          const match = /Hub URL: (\S+)/.exec(text);
          if (match) resolve(match[1]);
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code}: ${text}`)));
      });
      const info = await modelInfo({ name: "cli/tiny", hubUrl: url, additionalFields: ["filePaths"] });
      expect(info.filePaths).toContain(SHARD);
    } finally {
      child.kill("SIGINT");
      await exited;
    }
  });
});
