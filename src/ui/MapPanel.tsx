import { useEffect, useRef } from "react";
import { mapEvents } from "../app/map-actions";
import { connectMap } from "../app/map-bridge";
import { MapView } from "../map/map-view";
import { useAppStore } from "../state/store";
import { exposeMapViewForTests } from "./test-hooks";

/** The map: a MapLibre view, kept in step with the stores by the app's map bridge. */
export function MapPanel() {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!container.current) return;
    const view = new MapView(container.current, useAppStore.getState().view, mapEvents());
    const disconnect = connectMap(view);
    if (__TEST_HOOKS__) exposeMapViewForTests(view);
    return () => {
      disconnect();
      view.destroy();
      if (__TEST_HOOKS__) exposeMapViewForTests(null);
    };
  }, []);

  return <div ref={container} className="map" data-testid="map" />;
}
