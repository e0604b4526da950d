import { CropPanel } from "./CropPanel";
import { useGeoTiffDrop } from "./GeoTiffOpener";
import { HistoryPanel } from "./HistoryPanel";
import { MapPanel } from "./MapPanel";
import { AskPanel } from "./model/AskPanel";
import { ModelPanel } from "./model/ModelPanel";
import { SelectionPanel } from "./SelectionPanel";
import { SourcePanel } from "./SourcePanel";
import "./styles.css";

/** The application shell: side panel of steps, map filling the rest. */
export function App() {
  const drop = useGeoTiffDrop();
  return (
    <div className="app">
      <aside className="sidebar">
        <header className="brand">
          <h1>GeoZero Web</h1>
          <p>Question satellite imagery with a reasoning model — nothing leaves your browser.</p>
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
  );
}
