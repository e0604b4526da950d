import { type OfflineAvailability, offlineAvailability } from "../../model/cached-models";
import type { ModelEntry } from "../../model/manifest";
import { useModelStore } from "../../state/model-store";
import { useOfflineStore } from "../../state/offline-store";

/** Where a model stands offline, at the dtypes a load would use now (the device choice's, else its first dtype). */
export function useOfflineAvailability(entry: ModelEntry | undefined): OfflineAvailability {
  const cachedModels = useOfflineStore((s) => s.cachedModels);
  const sessions = useModelStore((s) => s.choice?.sessions);
  if (!entry) return { kind: "unknown" };
  return offlineAvailability(entry, sessions ?? entry.manifest?.dtypes[0] ?? "", cachedModels[entry.id]);
}

/** The model list's mark for a model: offline, whether it loads; online, nothing. */
export function offlineMark(availability: OfflineAvailability, online: boolean): string {
  if (online) return "";
  if (availability.kind === "kept") return " · in this browser";
  return availability.kind === "needs-network" ? " · needs the network" : "";
}

/** Why a load waits for the network, or null when it does not (online, or the model is kept in this browser). */
export function offlineLoadBlock(entry: ModelEntry, availability: OfflineAvailability, dtype: string): string | null {
  if (availability.kind !== "needs-network") return null;
  if (entry.remote) return `${entry.id} is a model from the internet: loading it needs the network.`;
  const { missing, cachedDtypes } = availability;
  const lacking = !missing
    ? "it is not in this browser's cache"
    : missing.files === missing.of
      ? `none of its ${missing.of} files are in this browser's cache (it was never loaded here at ${dtype})`
      : `${missing.files} of its ${missing.of} files are no longer in this browser's cache (a download was cut off, or the browser removed them to free storage)`;
  const other = cachedDtypes.length ? ` This browser holds it whole at ${cachedDtypes.join(", ")} only.` : "";
  return `${entry.id} (${dtype}) needs the network: ${lacking}.${other}`;
}

/** Under the model list: what offline means for the chosen model. */
export function OfflineModelNote({ entry }: { entry: ModelEntry | undefined }) {
  const online = useOfflineStore((s) => s.online);
  const dtype = useModelStore((s) => s.choice?.dtype ?? "");
  const availability = useOfflineAvailability(entry);
  if (!entry) return null;
  const block = online ? null : offlineLoadBlock(entry, availability, dtype);
  if (block)
    return (
      <p className="error" role="alert" data-testid="model-needs-network">
        {block}
      </p>
    );
  if (availability.kind === "kept" && !entry.built)
    return (
      <p className="hint" data-testid="model-kept-offline">
        Kept in this browser at {dtype}: loads with the network off.
      </p>
    );
  return null;
}
