import { defineConfig } from "vitest/config";
import { epsgPlugin } from "./tools/vite/epsg-plugin.ts";
import { TEST_BUILD_MODE, testHookDefines } from "./tools/vite/test-build.ts";

export default defineConfig({
  plugins: [epsgPlugin()],
  define: testHookDefines(TEST_BUILD_MODE),
  test: {
    include: ["src/**/*.test.ts", "tools/**/*.test.ts", "e2e/support/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
