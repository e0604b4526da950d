import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { epsgPlugin } from "./tools/vite/epsg-plugin.ts";
import { modelCachePlugin } from "./tools/vite/model-cache-plugin.ts";
import { offlinePlugins } from "./tools/vite/pwa.ts";
import { appVersionDefines, testHookDefines } from "./tools/vite/test-build.ts";

export default defineConfig(({ mode }) => ({
  define: { ...testHookDefines(mode), ...appVersionDefines() },
  plugins: [react(), modelCachePlugin(), epsgPlugin(), offlinePlugins()],
  worker: { format: "es", plugins: () => [epsgPlugin()] },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
  build: { target: "es2022", sourcemap: true, chunkSizeWarningLimit: 4096 },
}));
