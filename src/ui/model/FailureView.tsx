import { recover } from "../../app/model";
import type { ModelFailure } from "../../model/errors";

/** A failed load or generation: what happened, the file and hashes when one is corrupt, and one-click recoveries. */
export function FailureView({ failure, testId }: { failure: ModelFailure; testId: string }) {
  return (
    <div className="error" role="alert" data-testid={testId} data-kind={failure.kind}>
      <p>{failure.summary}</p>
      {failure.file && (
        <dl className="failure-file" data-testid="failure-file">
          <dt>File</dt>
          <dd data-testid="failure-file-path">{failure.file.path}</dd>
          <dt>Expected SHA-256</dt>
          <dd data-testid="failure-file-expected">{failure.file.expected}</dd>
          <dt>Actual SHA-256</dt>
          <dd data-testid="failure-file-actual">{failure.file.actual}</dd>
        </dl>
      )}
      {failure.detail !== failure.summary && (
        <details>
          <summary>Details</summary>
          <pre>{failure.detail}</pre>
        </details>
      )}
      {failure.actions.length > 0 && (
        <div className="row">
          {failure.actions.map((action) => (
            <button
              type="button"
              key={action.kind}
              data-testid={`recover-${action.kind}`}
              onClick={() => void recover(action)}
            >
              {action.kind === "reload-wasm" ? "Reload on WASM (CPU)" : `Reload at ${action.dtype}`}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
