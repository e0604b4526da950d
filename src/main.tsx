import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./ui/App";

const root = document.getElementById("root");
if (!root) throw new Error("index.html lacks the #root element the app mounts into.");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
