import { afterEach, describe, expect, it } from "vitest";
import { worldPixelToLngLat } from "../geo/mercator";
import type { MapLabel, MapPort, MapTool, SweepLayers } from "../map/map-port";
import { useAppStore } from "../state/store";
import { useSweepStore } from "../state/sweep-store";
import { connectMap } from "./map-bridge";
import { useSweepLayers } from "./sweep-layers";
import { previewSweep } from "./sweep-view";

/** A map that keeps the sweep layers it was given. */
class FakeMap implements MapPort {
  sweeps: SweepLayers[] = [];
  async whenReady(): Promise<void> {}
  async setImagery(): Promise<void> {}
  setTool(_tool: MapTool): void {}
  setGridZoom(): void {}
  async showSelection(): Promise<void> {}
  async showBoxes(): Promise<void> {}
  showLabels(_labels: MapLabel[]): void {}
  highlightBox(): void {}
  fitBBox(): void {}
  async showSweep(layers: SweepLayers): Promise<void> {
    this.sweeps.push(layers);
  }
}

afterEach(() => {
  useSweepStore.getState().set({ planning: false, preview: null, active: null });
  useAppStore.getState().clearSelection();
});

describe("the planned sweep on the map", () => {
  it("draws the plan's chips through the map port before anything runs, and takes them away when planning stops", async () => {
    const map = new FakeMap();
    const disconnect = connectMap(map);
    const [west, north] = worldPixelToLngLat([17709284, 11663447], 17);
    const [east, south] = worldPixelToLngLat([17709284 + 1000, 11663447 + 700], 17);
    useAppStore.getState().setRectangle({ west, south, east, north });
    useAppStore.getState().setCropZoom(17);
    useSweepStore.getState().set({ planning: true, form: { chipSize: 448, overlap: 0.15, resolution: null } });
    await previewSweep("", "free");
    const preview = useSweepStore.getState().preview;
    expect(preview?.result.valid && preview.result.plan.chipCount).toBe(6);
    // No measured chips yet for this model: no time estimate until the first chips.
    expect(preview?.estimateSeconds).toBeNull();
    expect(map.sweeps.at(-1)?.grid.features.map((f) => f.properties?.state)).toEqual(Array(6).fill("planned"));
    expect(useSweepLayers.getState().merged.features).toEqual([]);

    useSweepStore.getState().set({ planning: false });
    await previewSweep("", "free");
    expect(map.sweeps.at(-1)?.grid.features).toEqual([]);
    disconnect();
  });
});
