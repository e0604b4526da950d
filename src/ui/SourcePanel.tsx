import { type FormEvent, useState } from "react";
import { addCustomSource, type CustomSourceResult } from "../app/imagery";
import { imageryProblemText } from "../imagery/tile-health";
import { useOfflineStore } from "../state/offline-store";
import { currentSource, useAppStore } from "../state/store";
import { GeoTiffOpener } from "./GeoTiffOpener";
import { NeedsNetwork } from "./OfflineStatus";

/** What works offline instead of an online source. */
const OFFLINE_IMAGERY = "the offline sample and GeoTIFF files from this computer work";

/** Chooses the imagery: the offline sample, online sources, a custom tile URL, or the user's GeoTIFF. */
export function SourcePanel() {
  const sources = useAppStore((s) => s.sources);
  const source = useAppStore(currentSource);
  const problems = useAppStore((s) => s.sourceProblems);
  const selectSource = useAppStore((s) => s.selectSource);
  const online = useOfflineStore((s) => s.online);
  const [template, setTemplate] = useState("");
  const [added, setAdded] = useState<CustomSourceResult | null>(null);
  const problem = problems[source.id];

  const addCustom = (event: FormEvent) => {
    event.preventDefault();
    setAdded(addCustomSource(template));
  };

  return (
    <section className="panel" aria-labelledby="imagery-heading">
      <h2 id="imagery-heading">Imagery</h2>
      <select
        data-testid="source-select"
        value={source.id}
        onChange={(e) => selectSource(e.target.value)}
        aria-label="Imagery source"
      >
        {sources.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
            {s.online ? (online ? " · online" : " · needs the network") : ""}
            {problems[s.id] ? " · not loading" : ""}
          </option>
        ))}
      </select>
      <p className="hint" data-testid="source-attribution">
        {source.attribution}
      </p>
      {source.online && <NeedsNetwork what={source.name} instead={OFFLINE_IMAGERY} testId="source-needs-network" />}
      {problem && (
        <p className="error" role="alert" data-testid="source-error">
          {imageryProblemText(source.name, problem)}
        </p>
      )}
      <form onSubmit={addCustom} className="row">
        <input
          data-testid="custom-url"
          aria-label="Custom XYZ tile URL"
          placeholder="https://…/{z}/{x}/{y}.png"
          value={template}
          onChange={(e) => setTemplate(e.target.value)}
        />
        <button type="submit" data-testid="custom-add">
          Add
        </button>
      </form>
      {added?.kind === "invalid" && (
        <p className="error" data-testid="custom-error">
          {added.reason}
        </p>
      )}
      {added?.kind === "already-listed" && (
        <p className="hint" data-testid="custom-already-listed">
          Already listed as “{added.name}”; chosen.
        </p>
      )}
      <GeoTiffOpener />
      {!online && (
        <p className="hint" data-testid="urls-need-network">
          No network: custom tile URLs and COGs by URL need it; GeoTIFFs from this computer open as usual.
        </p>
      )}
    </section>
  );
}
