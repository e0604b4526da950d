import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { keepUrlInSync, restoreFromUrl } from "./state/url-sync";
import { App } from "./ui/App";
import { installTestHooks } from "./ui/test-hooks";

const root = document.getElementById("root");
if (!root) throw new Error("index.html lacks the #root element the app mounts into.");
installTestHooks();
restoreFromUrl(window.location.hash);
keepUrlInSync();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
