import { lazy, Suspense } from "react";
import { useInspectStore } from "../inspect/store";
import { CropPanel } from "./CropPanel";
import { useGeoTiffDrop } from "./GeoTiffOpener";
import { HistoryPanel } from "./HistoryPanel";
import { MapPanel } from "./MapPanel";
import { AskPanel } from "./model/AskPanel";
import { ModelPanel } from "./model/ModelPanel";
import { PageTabs } from "./PageTabs";
import { SelectionPanel } from "./SelectionPanel";
import { SourcePanel } from "./SourcePanel";
import "./styles.css";

const InspectView = lazy(() => import("./inspect/InspectView"));

/**
 * The application shell: side panel of steps with the map, or the Inspect view. The map stays mounted while Inspect
 * is open, so its view, layers and the loaded model's state survive a visit.
 */
export function App() {
  const drop = useGeoTiffDrop();
  const page = useInspectStore((s) => s.page);
  return (
    <>
      <div className="app" hidden={page !== "map"}>
        <aside className="sidebar">
          <header className="brand">
            <h1>GeoZero Web</h1>
            <p>Question satellite imagery with a reasoning model — nothing leaves your browser.</p>
            {page === "map" && <PageTabs />}
          </header>
          <SourcePanel />
          <SelectionPanel />
          <CropPanel />
          <ModelPanel />
          <AskPanel />
          <HistoryPanel />
        </aside>
        <main className={drop.over ? "map-area drop-target" : "map-area"} {...drop.handlers}>
          <MapPanel />
        </main>
      </div>
      {page === "inspect" && (
        <Suspense fallback={<p className="hint">Opening the Inspect view…</p>}>
          <InspectView />
        </Suspense>
      )}
    </>
  );
}
