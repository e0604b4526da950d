import { type FormEvent, useState } from "react";
import { customXyzSource } from "../imagery/sources";
import { currentSource, useAppStore } from "../state/store";
import { GeoTiffOpener } from "./GeoTiffOpener";

/** Chooses the imagery: the offline sample, online sources, a custom tile URL, or the user's GeoTIFF. */
export function SourcePanel() {
  const sources = useAppStore((s) => s.sources);
  const source = useAppStore(currentSource);
  const sourceError = useAppStore((s) => s.sourceError);
  const selectSource = useAppStore((s) => s.selectSource);
  const addSource = useAppStore((s) => s.addSource);
  const [template, setTemplate] = useState("");
  const [templateError, setTemplateError] = useState<string | null>(null);

  const addCustom = (event: FormEvent) => {
    event.preventDefault();
    const result = customXyzSource(template);
    if (!result.valid) {
      setTemplateError(result.reason);
      return;
    }
    setTemplateError(null);
    addSource(result.source);
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
            {s.online ? " · online" : ""}
          </option>
        ))}
      </select>
      <p className="hint" data-testid="source-attribution">
        {source.attribution}
      </p>
      {sourceError && (
        <p className="error" role="alert" data-testid="source-error">
          {source.name}: {sourceError}
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
      {templateError && (
        <p className="error" data-testid="custom-error">
          {templateError}
        </p>
      )}
      <GeoTiffOpener />
    </section>
  );
}
