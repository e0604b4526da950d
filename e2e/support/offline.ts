import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page, Request } from "@playwright/test";
import { TEST_SERVICE_WORKER_KEY } from "../../src/offline/cache-layout";
import { TEST_BUILD_MODE } from "../../tools/vite/test-build";

/** Asks the test build to register its service worker in every page of the context (other tests run without). */
export async function askForServiceWorker(context: BrowserContext): Promise<void> {
  await context.addInitScript((key) => localStorage.setItem(key, "1"), TEST_SERVICE_WORKER_KEY);
}

/** Waits until the page says it works offline and a service worker controls it. */
export async function untilReadyOffline(page: Page): Promise<void> {
  await page.getByTestId("offline-ready").waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
}

/** A private window whose app (at `url`) is stored for offline use and controlled by the service worker. */
export async function openReadyOffline(browser: Browser, url = "/"): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await askForServiceWorker(context);
  const page = await context.newPage();
  await page.goto(url);
  await untilReadyOffline(page);
  return { context, page };
}

/** Chromium's installability errors for the page (none: the browser offers to install it), read through CDP. */
export async function installabilityErrors(page: Page): Promise<string[]> {
  const session = await page.context().newCDPSession(page);
  const { installabilityErrors } = (await session.send("Page.getInstallabilityErrors")) as {
    installabilityErrors: { errorId: string }[];
  };
  await session.detach();
  return installabilityErrors.map((error) => error.errorId);
}

/** The web app manifest as Chromium parsed it, read through CDP. */
export async function parsedManifest(page: Page): Promise<{ url: string; errors: string[]; data: string }> {
  const session = await page.context().newCDPSession(page);
  const result = (await session.send("Page.getAppManifest")) as {
    url: string;
    errors: { message: string }[];
    data?: string;
  };
  await session.detach();
  return { url: result.url, errors: result.errors.map((e) => e.message), data: result.data ?? "" };
}

/** Waits until the map has loaded its style and sources. */
export async function waitForMap(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const hooks = (window as unknown as { __geozero?: { map(): { map: { loaded(): boolean } } | null } }).__geozero;
    return hooks?.map()?.map.loaded() === true;
  });
}

/** Requests that reached the network: every one answered offline must come from the service worker. */
export function fromTheNetwork(requests: SeenRequest[]): SeenRequest[] {
  return requests.filter((request) => request.failed || !request.fromServiceWorker);
}

/** One request a page made, and whether the service worker answered it. */
export interface SeenRequest {
  url: string;
  method: string;
  range: string | null;
  status: number | null;
  fromServiceWorker: boolean;
  failed: boolean;
}

/** Records every request of the page (its workers included) from now on, with who answered it. */
export function recordRequests(page: Page): SeenRequest[] {
  const seen: SeenRequest[] = [];
  const note = async (request: Request, failed: boolean) => {
    const url = request.url();
    if (url.startsWith("blob:") || url.startsWith("data:")) return;
    const response = failed ? null : await request.response().catch(() => null);
    seen.push({
      url,
      method: request.method(),
      range: (await request.allHeaders()).range ?? null,
      status: response?.status() ?? null,
      fromServiceWorker: response?.fromServiceWorker() ?? false,
      failed,
    });
  };
  page.on("requestfinished", (request) => void note(request, false));
  page.on("requestfailed", (request) => void note(request, true));
  return seen;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    child.stderr.on("data", (chunk) => {
      errors += chunk;
    });
    child.on("exit", (code) => (code === 0 ? done() : fail(new Error(`${command} ${args.join(" ")}: ${errors}`))));
  });
}

/**
 * Builds the app (the test build) into a new folder for `base` and `version`, with the tiny model linked into its
 * `model-cache/` as a static host would serve it beside the app. Returns the folder.
 */
export async function buildApp(base: string, version: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), `geozero-${version}-`));
  await run(
    "npx",
    [
      "vite",
      "build",
      "--mode",
      TEST_BUILD_MODE,
      "--base",
      base,
      "--outDir",
      outDir,
      "--emptyOutDir",
      "--logLevel",
      "warn",
    ],
    { GEOZERO_VERSION: version },
  );
  symlinkSync(resolve("model-cache/geozero-tiny"), join(outDir, "model-cache", "geozero-tiny"));
  return outDir;
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A stock static server serving builds under a sub-path; which build it serves can be switched. */
export interface StaticHost {
  /** the app's URL, ending in "/" */
  url: string;
  /** serves another build folder under the same sub-path (a new version deployed) */
  deploy(buildDir: string): void;
  stop(): Promise<void>;
}

/** The stock servers the app is checked on: Python's (no range requests) and Debian's nginx (ranges). */
export type StaticServer = "python" | "nginx";

/**
 * Debian's nginx, installed with apt-get when missing and this runs as root on Debian or Ubuntu (as CI does; the
 * browser is found the same way). Null when it is not there and cannot be installed.
 */
export function nginxBinary(): string | null {
  const found = () => ["/usr/sbin/nginx", "/usr/bin/nginx"].find((path) => existsSync(path)) ?? null;
  if (found() || process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return found();
  spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
  spawnSync("apt-get", ["install", "-y", "-qq", "nginx-light"], { stdio: "ignore" });
  return found();
}

/** nginx as Debian ships it (its mime.types, symlinks followed), in the foreground, serving `root` on `port`. */
function nginxConfig(root: string, port: number): string {
  const temp = (what: string) => `${what}_temp_path ${join(root, ".nginx", what)};`;
  // Run as root (CI), its workers would be nobody, who cannot read the test's private temporary folders.
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  return `${user}daemon off;
pid ${join(root, ".nginx", "nginx.pid")};
error_log ${join(root, ".nginx", "error.log")};
events {}
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  ${["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(temp).join("\n  ")}
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
}

function startServer(server: StaticServer, root: string, port: number): ChildProcess {
  if (server === "python") {
    return spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1"], { cwd: root, stdio: "ignore" });
  }
  const nginx = nginxBinary();
  if (!nginx) throw new Error("nginx is not installed: apt-get install nginx-light");
  mkdirSync(join(root, ".nginx"), { recursive: true });
  writeFileSync(join(root, ".nginx", "nginx.conf"), nginxConfig(root, port));
  return spawn(nginx, ["-c", join(root, ".nginx", "nginx.conf"), "-p", join(root, ".nginx")], { stdio: "ignore" });
}

/** Starts a stock static server with `buildDir` under `/<name>/`. */
export async function startStaticHost(
  buildDir: string,
  name = "geozero",
  kind: StaticServer = "python",
): Promise<StaticHost> {
  const root = mkdtempSync(join(tmpdir(), "static-host-"));
  const link = join(root, name);
  const deploy = (dir: string) => {
    const next = join(root, `.next-${Date.now()}`);
    symlinkSync(dir, next);
    // An atomic swap, as a deployment that replaces the folder in one step.
    spawnSync("mv", ["-Tf", next, link]);
  };
  mkdirSync(root, { recursive: true });
  symlinkSync(buildDir, link);
  const port = await freePort();
  const server = startServer(kind, root, port);
  const url = `http://127.0.0.1:${port}/${name}/`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    deploy,
    stop: () =>
      new Promise((done) => {
        if (server.exitCode !== null) return done();
        server.once("exit", () => done());
        server.kill();
      }),
  };
}
