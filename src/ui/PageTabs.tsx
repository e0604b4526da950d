import { type Page, useInspectStore } from "../inspect/store";

const PAGES: Array<[Page, string]> = [
  ["map", "Map"],
  ["inspect", "Inspect"],
];

/** Switches between the map and the Inspect view; the URL says which is open. */
export function PageTabs() {
  const page = useInspectStore((s) => s.page);
  const setPage = useInspectStore((s) => s.setPage);
  return (
    <nav className="segmented page-tabs" aria-label="View">
      {PAGES.map(([id, label]) => (
        <button key={id} type="button" data-testid={`tab-${id}`} aria-pressed={page === id} onClick={() => setPage(id)}>
          {label}
        </button>
      ))}
    </nav>
  );
}
