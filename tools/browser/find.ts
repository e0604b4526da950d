/**
 * The browser the browser tests and benchmarks drive. Looked for in this order: `CHROMIUM_PATH`; the Chromium that
 * Playwright has installed; `/usr/bin/chromium`; Google Chrome (`google-chrome`, `google-chrome-stable` on PATH, the
 * macOS application). When there is none, `ensureBrowser` tries to install one and otherwise answers one line that
 * names the command to run. The machine is reached only through `BrowserHost`, so the order is testable anywhere.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium } from "@playwright/test";

/** What the finder looks at on a machine. */
export interface BrowserHost {
  env: Readonly<Record<string, string | undefined>>;
  isExecutable(path: string): boolean;
  /** Where Playwright keeps its own Chromium, installed or not. */
  playwrightChromium(): string;
  /** Root on Debian or Ubuntu, where `apt-get install chromium` can install one. */
  canUseApt: boolean;
}

export type BrowserSource = "CHROMIUM_PATH" | "Playwright" | "system";

export interface BrowserFound {
  found: true;
  path: string;
  source: BrowserSource;
}

export type BrowserSearch =
  | BrowserFound
  | { found: false; reason: "bad-chromium-path"; path: string }
  | { found: false; reason: "none" };

const MACOS_CHROME = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome";

/** `/usr/bin/chromium`, then Chrome on PATH, then Chrome's macOS application. */
export function systemBrowsers(env: BrowserHost["env"]): string[] {
  const pathDirs = (env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  const chrome = pathDirs.flatMap((dir) => [join(dir, "google-chrome"), join(dir, "google-chrome-stable")]);
  return ["/usr/bin/chromium", ...chrome, MACOS_CHROME];
}

export function findBrowser(host: BrowserHost): BrowserSearch {
  const configured = host.env.CHROMIUM_PATH;
  if (configured) {
    return host.isExecutable(configured)
      ? { found: true, path: configured, source: "CHROMIUM_PATH" }
      : { found: false, reason: "bad-chromium-path", path: configured };
  }
  const playwright = host.playwrightChromium();
  if (host.isExecutable(playwright)) return { found: true, path: playwright, source: "Playwright" };
  const system = systemBrowsers(host.env).find((path) => host.isExecutable(path));
  return system ? { found: true, path: system, source: "system" } : { found: false, reason: "none" };
}

/** An install command: what the user would type, and the argument lists that carry it out. */
export interface InstallCommand {
  shown: string;
  steps: string[][];
}

const APT_INSTALL: InstallCommand = {
  shown: "apt-get install chromium",
  steps: [
    ["apt-get", "update", "-qq"],
    ["apt-get", "install", "-y", "-qq", "chromium"],
  ],
};
const PLAYWRIGHT_INSTALL: InstallCommand = {
  shown: "npx playwright install chromium",
  steps: [["npx", "playwright", "install", "chromium"]],
};

/** The installs to try, the one to recommend first: Debian's package where apt-get is usable, else Playwright's. */
export function installCommands(host: BrowserHost): InstallCommand[] {
  return host.canUseApt ? [APT_INSTALL, PLAYWRIGHT_INSTALL] : [PLAYWRIGHT_INSTALL];
}

/** The one line printed when no browser can be had, naming the command to run. */
export function noBrowserMessage(search: Exclude<BrowserSearch, BrowserFound>, host: BrowserHost): string {
  if (search.reason === "bad-chromium-path")
    return `CHROMIUM_PATH=${search.path} is not an executable file: set it to a Chromium or Chrome binary, or unset it to use the browser found on this machine.`;
  const command = installCommands(host)[0].shown;
  return `No browser for the browser tests (CHROMIUM_PATH unset, no Chromium installed by Playwright, no /usr/bin/chromium or google-chrome), and installing one failed: run \`${command}\` or set CHROMIUM_PATH to a Chromium or Chrome binary, then run npm test again.`;
}

/** Runs one step of an install command; resolves to its exit code. */
export type RunStep = (argv: string[]) => Promise<number>;

/** Finds the browser, installing one when there is none; the message line when none can be had. */
export async function ensureBrowser(
  host: BrowserHost,
  runStep: RunStep,
  log: (line: string) => void = () => {},
): Promise<BrowserFound | { found: false; message: string }> {
  const first = findBrowser(host);
  if (first.found) return first;
  if (first.reason === "bad-chromium-path") return { found: false, message: noBrowserMessage(first, host) };
  for (const command of installCommands(host)) {
    log(`No browser for the browser tests; trying \`${command.shown}\`.`);
    if (!(await runAll(command.steps, runStep))) continue;
    const search = findBrowser(host);
    if (search.found) return search;
  }
  return { found: false, message: noBrowserMessage(first, host) };
}

async function runAll(steps: string[][], runStep: RunStep): Promise<boolean> {
  for (const step of steps) if ((await runStep(step)) !== 0) return false;
  return true;
}

/** This machine, as the finder sees it. */
export function machineHost(env: NodeJS.ProcessEnv = process.env): BrowserHost {
  return {
    env,
    isExecutable,
    playwrightChromium,
    canUseApt: process.getuid?.() === 0 && existsSync("/etc/debian_version") && findOnPath(env, "apt-get"),
  };
}

function playwrightChromium(): string {
  try {
    return chromium.executablePath();
  } catch {
    return ""; // a platform Playwright has no Chromium build for
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findOnPath(env: NodeJS.ProcessEnv, name: string): boolean {
  return (env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && isExecutable(join(dir, name)));
}

/** The browser's path for Playwright's launch options; throws the one-line message when there is none. */
export function browserExecutable(host: BrowserHost = machineHost()): string {
  const search = findBrowser(host);
  if (search.found) return search.path;
  throw new Error(noBrowserMessage(search, host));
}
