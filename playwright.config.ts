import { defineConfig } from "@playwright/test";
import { browserExecutable } from "./tools/browser/find";
import { TEST_BUILD_MODE } from "./tools/vite/test-build";

/** Flags for whichever Chromium or Chrome tools/browser/find.ts finds (`npm run find-browser` installs one if none). */
export const chromiumArgs = [
  "--no-sandbox",
  "--headless=new",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--enable-unsafe-webgpu",
  "--enable-unsafe-swiftshader",
];

const port = Number(process.env.E2E_PORT ?? 4311);

export default defineConfig({
  testDir: "e2e",
  // e2e/support holds helpers and their unit tests (run by Vitest), no browser specs.
  testIgnore: "support/**",
  outputDir: "test-results",
  timeout: 180_000,
  workers: 1,
  reporter: [["list"], ["json", { outputFile: "reports/e2e.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { executablePath: browserExecutable(), args: chromiumArgs },
    viewport: { width: 1400, height: 900 },
  },
  webServer: {
    command: `npx vite build --mode ${TEST_BUILD_MODE} --logLevel warn && npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 300_000,
  },
});
