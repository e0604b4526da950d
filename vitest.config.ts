import { defineConfig } from "vitest/config";
import { epsgPlugin } from "./tools/vite/epsg-plugin.ts";

export default defineConfig({
  plugins: [epsgPlugin()],
  test: {
    include: ["src/**/*.test.ts", "tools/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
