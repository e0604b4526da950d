import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { releaseRasterSources } from "./imagery/raster/client";
import { currentSource, useAppStore } from "./state/store";
import { decodeUrlState } from "./state/url-state";
import { keepUrlInSync, restoreFromUrl } from "./state/url-sync";
import { App } from "./ui/App";
import { openGeoTiffUrl } from "./ui/GeoTiffOpener";
import { installTestHooks } from "./ui/test-hooks";

const root = document.getElementById("root");
if (!root) throw new Error("index.html lacks the #root element the app mounts into.");
if (__TEST_HOOKS__) installTestHooks();
const { cogUrl } = decodeUrlState(window.location.hash);
restoreFromUrl(window.location.hash);
if (cogUrl) void openGeoTiffUrl(cogUrl, false);
keepUrlInSync();
// A GeoTIFF's header, tile index and reader are released when another source is chosen.
useAppStore.subscribe((state, previous) => {
  const source = currentSource(state);
  if (source.id !== currentSource(previous).id) void releaseRasterSources(source.kind === "geotiff" ? [source.id] : []);
});
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
