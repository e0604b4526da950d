import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { openGeoTiffUrl, releaseUnusedRasters } from "./app/imagery";
import { warnBeforeLeaving } from "./app/leave-guard";
import { clearBoxesWhenSourceChanges } from "./app/map-actions";
import { followCachedModels, followNetwork, keepAppForOffline } from "./app/offline";
import { keepSessionCrop } from "./app/session-crop";
import { restoreSweeps } from "./app/sweep";
import { followSweepPlan } from "./app/sweep-view";
import { decodeUrlState } from "./state/url-state";
import { keepUrlInSync, restoreFromUrl } from "./state/url-sync";
import { App } from "./ui/App";
import { installTestHooks } from "./ui/test-hooks";

const root = document.getElementById("root");
if (!root) throw new Error("index.html lacks the #root element the app mounts into.");
if (__TEST_HOOKS__) installTestHooks();
const { cogUrl } = decodeUrlState(window.location.hash);
restoreFromUrl(window.location.hash);
if (cogUrl) void openGeoTiffUrl(cogUrl, false);
keepUrlInSync();
releaseUnusedRasters();
clearBoxesWhenSourceChanges();
void keepSessionCrop();
void restoreSweeps();
followSweepPlan();
warnBeforeLeaving();
followNetwork();
followCachedModels();
void keepAppForOffline();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
