import { applyUpdate } from "../app/offline";
import { useOfflineStore } from "../state/offline-store";

/** What needs the network, named once for every place that says so. */
export const ONLINE_ONLY =
  "online imagery, custom tile URLs, COGs by URL, models from the internet and Build from Hugging Face";

/** A new version is installed: says so, with the button that applies it. Shown on whichever page is open. */
export function UpdateReady() {
  const updateReady = useOfflineStore((s) => s.updateReady);
  if (!updateReady) return null;
  return (
    <p className="update" role="status" data-testid="update-ready">
      A new version of GeoZero Web is ready.{" "}
      <button type="button" className="primary" data-testid="apply-update" onClick={applyUpdate}>
        Update now
      </button>{" "}
      <span className="hint">(or it applies once every GeoZero Web window is closed)</span>
    </p>
  );
}

/**
 * One line on offline use: stored or not (and why), no network, an update ready to apply (unless the page shows it
 * elsewhere: the Inspect view's header); and the version.
 */
export function OfflineStatus({ showUpdate }: { showUpdate: boolean }) {
  const { online, use } = useOfflineStore();
  return (
    <div className="offline-status" data-testid="offline-status">
      {showUpdate && <UpdateReady />}
      {!online && (
        <p className="hint" role="status" data-testid="network-off">
          No network: {ONLINE_ONLY} need it. The sample imagery, your GeoTIFF files, the history, the last crop, the
          Inspect view and the models kept in this browser work.
        </p>
      )}
      {use.status === "installing" && (
        <p className="hint" data-testid="offline-installing">
          Storing the app for offline use…
        </p>
      )}
      {use.status === "ready" && (
        <p className="hint" data-testid="offline-ready">
          Works offline: the app, the sample imagery and the models kept in this browser open without the network.
        </p>
      )}
      {use.status === "unavailable" && (
        <p className="error" data-testid="offline-unavailable">
          Offline use is unavailable: {use.reason} The app works online as usual.
        </p>
      )}
      <p className="hint version" data-testid="app-version">
        Version {__APP_VERSION__}
      </p>
    </div>
  );
}

/** A part of the app that needs the network, while there is none: says so, naming it. */
export function NeedsNetwork({ what, instead, testId }: { what: string; instead: string; testId: string }) {
  const online = useOfflineStore((s) => s.online);
  if (online) return null;
  return (
    <p className="error" role="alert" data-testid={testId}>
      {what} needs the network, and there is none: connect to use it. Offline, {instead}.
    </p>
  );
}
