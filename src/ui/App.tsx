import { CropPanel } from "./CropPanel";
import { MapPanel } from "./MapPanel";
import { SelectionPanel } from "./SelectionPanel";
import { SourcePanel } from "./SourcePanel";
import "./styles.css";

/** The application shell: side panel of steps, map filling the rest. */
export function App() {
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
      </aside>
      <main className="map-area">
        <MapPanel />
      </main>
    </div>
  );
}
