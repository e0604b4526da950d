import { readFileSync } from "node:fs";

/**
 * The build mode whose output carries the browser tests' hooks (`window.__geozero`). `npm run build` uses Vite's
 * default "production" mode, so what a static host serves has none; Playwright and the benches build with this one.
 */
export const TEST_BUILD_MODE = "test";

/** The hook names a production build must not contain (checked by `test-build.test.ts`). */
export const TEST_HOOK_NAMES = ["__geozero", "installTestHooks"];

/** Vite `define` entries for a build in `mode`: `__TEST_HOOKS__` is true only in the test build. */
export function testHookDefines(mode: string): Record<string, string> {
  return { __TEST_HOOKS__: JSON.stringify(mode === TEST_BUILD_MODE) };
}

/**
 * Vite `define` entries naming the build: `__APP_VERSION__` is `GEOZERO_VERSION` from the environment, else the
 * package's version. The page shows it, and the update test builds twice with two versions.
 */
export function appVersionDefines(): Record<string, string> {
  const version =
    process.env.GEOZERO_VERSION ?? (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
  return { __APP_VERSION__: JSON.stringify(version) };
}
