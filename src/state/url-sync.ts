import { useInspectStore } from "../inspect/store";
import { currentSource, selectionBBox, useAppStore } from "./store";
import { decodeUrlState, encodeUrlState } from "./url-state";

/** Applies a link's view, selection, crop zoom and source to the store (before the map is created). */
export function restoreFromUrl(hash: string): void {
  const decoded = decodeUrlState(hash);
  const store = useAppStore.getState();
  if (decoded.sourceId && store.sources.some((s) => s.id === decoded.sourceId)) store.selectSource(decoded.sourceId);
  if (decoded.view) store.setView(decoded.view);
  if (decoded.bbox) store.setRectangle(decoded.bbox);
  if (decoded.cropZoom !== undefined) store.setCropZoom(decoded.cropZoom);
  if (decoded.inspect) useInspectStore.getState().setPage("inspect");
  if (decoded.sample) useInspectStore.getState().select(decoded.sample);
}

/** The link to the current state. */
export function currentLink(): string {
  const state = useAppStore.getState();
  const source = currentSource(state);
  const inspect = useInspectStore.getState();
  const hash = encodeUrlState({
    view: state.view,
    bbox: selectionBBox(state.selection),
    cropZoom: state.cropZoom,
    sourceId: source.id,
    cogUrl: source.kind === "geotiff" && source.location.kind === "url" ? source.location.url : null,
    inspect: inspect.page === "inspect",
    sample: inspect.selectedId,
  });
  return `${window.location.origin}${window.location.pathname}${window.location.search}${hash}`;
}

/** Keeps the URL hash in step with the store, without adding history entries. */
export function keepUrlInSync(): () => void {
  let last = "";
  const update = () => {
    const link = currentLink();
    if (link === last) return;
    last = link;
    window.history.replaceState(window.history.state, "", link);
  };
  update();
  const unsubscribeMap = useAppStore.subscribe(update);
  const unsubscribeInspect = useInspectStore.subscribe((state, previous) => {
    if (state.page !== previous.page || state.selectedId !== previous.selectedId) update();
  });
  return () => {
    unsubscribeMap();
    unsubscribeInspect();
  };
}
