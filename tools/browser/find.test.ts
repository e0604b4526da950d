import { describe, expect, it } from "vitest";
import { type BrowserHost, ensureBrowser, findBrowser, machineHost } from "./find";

const PLAYWRIGHT = "/home/u/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome";

/** A machine whose executables are `installed`; `canUseApt` as given. */
function fakeHost(installed: string[], env: Record<string, string> = {}, canUseApt = false): BrowserHost {
  const executables = new Set(installed);
  return {
    env: { PATH: "/usr/local/bin:/usr/bin", ...env },
    isExecutable: (path) => executables.has(path),
    playwrightChromium: () => PLAYWRIGHT,
    canUseApt,
  };
}

/** Installs by adding `provides` to the host's executables when the command is the one that `works`. */
function fakeInstaller(host: BrowserHost, works: string, provides: string) {
  const ran: string[] = [];
  const isExecutable = host.isExecutable;
  const added = new Set<string>();
  host.isExecutable = (path) => added.has(path) || isExecutable(path);
  const runStep = async (argv: string[]) => {
    ran.push(argv.join(" "));
    if (argv.join(" ") !== works) return argv[0] === "apt-get" && argv[1] === "update" ? 0 : 1;
    added.add(provides);
    return 0;
  };
  return { ran, runStep };
}

describe("findBrowser: CHROMIUM_PATH, then Playwright's Chromium, then /usr/bin/chromium, then Chrome", () => {
  const everything = [PLAYWRIGHT, "/usr/bin/chromium", "/usr/bin/google-chrome", "/opt/chrome/chrome"];

  it("takes CHROMIUM_PATH over every other browser", () => {
    expect(findBrowser(fakeHost(everything, { CHROMIUM_PATH: "/opt/chrome/chrome" }))).toEqual({
      found: true,
      path: "/opt/chrome/chrome",
      source: "CHROMIUM_PATH",
    });
  });

  it("refuses a CHROMIUM_PATH that is not executable rather than falling back", () => {
    expect(findBrowser(fakeHost(everything, { CHROMIUM_PATH: "/nowhere/chrome" }))).toEqual({
      found: false,
      reason: "bad-chromium-path",
      path: "/nowhere/chrome",
    });
  });

  it("takes Playwright's Chromium over the system's", () => {
    expect(findBrowser(fakeHost(everything))).toMatchObject({ path: PLAYWRIGHT, source: "Playwright" });
  });

  it("takes /usr/bin/chromium over Google Chrome", () => {
    expect(findBrowser(fakeHost(everything.slice(1)))).toMatchObject({ path: "/usr/bin/chromium", source: "system" });
  });

  it("finds google-chrome, then google-chrome-stable, on PATH, then Chrome's macOS application", () => {
    const chrome = ["/usr/bin/google-chrome-stable", "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"];
    expect(findBrowser(fakeHost(["/usr/local/bin/google-chrome", ...chrome]))).toMatchObject({
      path: "/usr/local/bin/google-chrome",
    });
    expect(findBrowser(fakeHost(chrome))).toMatchObject({ path: "/usr/bin/google-chrome-stable" });
    expect(findBrowser(fakeHost(chrome.slice(1)))).toMatchObject({ path: chrome[1] });
  });

  it("finds none on a bare machine", () => {
    expect(findBrowser(fakeHost([]))).toEqual({ found: false, reason: "none" });
  });
});

describe("ensureBrowser: installs one when there is none", () => {
  it("installs nothing when a browser is there", async () => {
    const host = fakeHost(["/usr/bin/chromium"], {}, true);
    const { ran, runStep } = fakeInstaller(host, "", "");
    expect(await ensureBrowser(host, runStep)).toMatchObject({ found: true, path: "/usr/bin/chromium" });
    expect(ran).toEqual([]);
  });

  it("as root on Debian or Ubuntu, installs Debian's chromium with apt-get", async () => {
    const host = fakeHost([], {}, true);
    const { ran, runStep } = fakeInstaller(host, "apt-get install -y -qq chromium", "/usr/bin/chromium");
    expect(await ensureBrowser(host, runStep)).toMatchObject({ found: true, path: "/usr/bin/chromium" });
    expect(ran).toEqual(["apt-get update -qq", "apt-get install -y -qq chromium"]);
  });

  it("tries Playwright's install after apt-get fails, and uses the Chromium it installed", async () => {
    const host = fakeHost([], {}, true);
    const { ran, runStep } = fakeInstaller(host, "npx playwright install chromium", PLAYWRIGHT);
    expect(await ensureBrowser(host, runStep)).toMatchObject({ found: true, source: "Playwright" });
    expect(ran).toEqual(["apt-get update -qq", "apt-get install -y -qq chromium", "npx playwright install chromium"]);
  });

  it("elsewhere installs with Playwright only", async () => {
    const host = fakeHost([]);
    const { ran, runStep } = fakeInstaller(host, "none works", "");
    await ensureBrowser(host, runStep);
    expect(ran).toEqual(["npx playwright install chromium"]);
  });

  it("when nothing can be installed, answers one line naming the command to run", async () => {
    const user = fakeHost([]);
    const asUser = await ensureBrowser(user, fakeInstaller(user, "none works", "").runStep);
    expect(asUser).toEqual({
      found: false,
      message:
        "No browser for the browser tests (CHROMIUM_PATH unset, no Chromium installed by Playwright, no /usr/bin/chromium or google-chrome), and installing one failed: run `npx playwright install chromium` or set CHROMIUM_PATH to a Chromium or Chrome binary, then run npm test again.",
    });
    const root = fakeHost([], {}, true);
    const asRoot = await ensureBrowser(root, fakeInstaller(root, "none works", "").runStep);
    expect(asRoot).toMatchObject({ message: expect.stringContaining("run `apt-get install chromium` or set") });
    for (const result of [asUser, asRoot]) expect(result).toMatchObject({ message: expect.not.stringMatching(/\n/) });
  });

  it("installs nothing for a bad CHROMIUM_PATH: the line says to fix it", async () => {
    const host = fakeHost(["/usr/bin/chromium"], { CHROMIUM_PATH: "/nowhere/chrome" }, true);
    const { ran, runStep } = fakeInstaller(host, "", "");
    expect(await ensureBrowser(host, runStep)).toEqual({
      found: false,
      message:
        "CHROMIUM_PATH=/nowhere/chrome is not an executable file: set it to a Chromium or Chrome binary, or unset it to use the browser found on this machine.",
    });
    expect(ran).toEqual([]);
  });
});

describe("machineHost", () => {
  it("sees this machine's files: an executable is found, a plain file is not", () => {
    const host = machineHost({ PATH: "" });
    expect(host.isExecutable(process.execPath)).toBe(true);
    expect(host.isExecutable(new URL(import.meta.url).pathname)).toBe(false);
    expect(host.playwrightChromium()).toMatch(/chrom/i);
  });
});
