import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planCrop } from "../imagery/crop-plan";
import type { MapLabel, MapPort, MapTool, SweepLayers } from "../map/map-port";
import type { HistoryEntry } from "../state/history-db";
import { useModelStore } from "../state/model-store";
import { useAppStore } from "../state/store";
import { findBoxes } from "../tasks/boxes";
import { modelInputFor } from "../tasks/model-input-size";
import { showHistoryEntry } from "./history";
import { clearBoxesWhenSourceChanges, mapEvents } from "./map-actions";
import { connectMap } from "./map-bridge";
import { useMapLayers } from "./map-layers";

/** A map that records what it was asked to do, in order. */
class FakeMap implements MapPort {
  calls: Array<[string, unknown]> = [];
  async whenReady(): Promise<void> {}
  async setImagery(source: { id: string }): Promise<void> {
    this.calls.push(["setImagery", source.id]);
  }
  setTool(tool: MapTool): void {
    this.calls.push(["setTool", tool]);
  }
  setGridZoom(zoom: number | null): void {
    this.calls.push(["setGridZoom", zoom]);
  }
  async showSelection(bbox: unknown): Promise<void> {
    this.calls.push(["showSelection", bbox]);
  }
  async showBoxes(boxes: GeoJSON.FeatureCollection): Promise<void> {
    this.calls.push(["showBoxes", boxes.features.length]);
  }
  showLabels(labels: MapLabel[]): void {
    this.calls.push(["showLabels", labels.map((l) => l.text)]);
  }
  highlightBox(index: number | null): void {
    this.calls.push(["highlightBox", index]);
  }
  async showSweep(layers: SweepLayers): Promise<void> {
    this.calls.push([
      "showSweep",
      [layers.grid.features.length, layers.classes.features.length, layers.merged.features.length],
    ]);
  }
  fitBBox(bbox: unknown, maxZoom?: number): void {
    this.calls.push(["fitBBox", { bbox, maxZoom }]);
  }
  last(name: string): unknown {
    return this.calls.filter(([n]) => n === name).at(-1)?.[1];
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const cropBBox = { west: 10.0, south: 47.998, east: 10.004, north: 48.0 };

function entry(): HistoryEntry {
  const planned = planCrop(cropBBox, 17);
  if (!planned.valid) throw new Error(planned.reason);
  const { width, height } = planned;
  const input = modelInputFor(width, height);
  const boxes = findBoxes("[10, 10, 50, 40] [60, 20, 90, 80]", {
    convention: "pixels",
    input,
    cropWidth: width,
    cropHeight: height,
  });
  const png = new Blob([]);
  return {
    id: "r1",
    createdAt: 0,
    task: "grounding",
    question: "where?",
    think: "",
    answer: "",
    status: "done",
    model: "tiny",
    boxes,
    boxConvention: "pixels",
    input,
    crop: { png, width, height, georef: planned.plan.georef, zoom: 17, sourceId: "sample", bbox: cropBBox },
    thumbnail: png,
  };
}

describe("the map bridge", () => {
  let map: FakeMap;
  let disconnect: () => void;
  beforeEach(() => {
    map = new FakeMap();
    disconnect = connectMap(map);
  });
  afterEach(() => disconnect());

  it("shows the current imagery, tool and selection at once, then follows the store", async () => {
    await settle();
    expect(map.last("setImagery")).toBe("sample");
    expect(map.last("setTool")).toBe("pan");
    useAppStore.getState().selectSource("esri-world-imagery");
    useAppStore.getState().setTool("tiles");
    await settle();
    expect(map.last("setImagery")).toBe("esri-world-imagery");
    expect(map.last("setTool")).toBe("tiles");
    expect(map.last("setGridZoom")).toBe(16);
    useAppStore.getState().selectSource("sample");
    useAppStore.getState().setTool("pan");
  });

  it("moves the map to a kept result's crop, outlines it and draws its boxes", async () => {
    showHistoryEntry(entry());
    await settle();
    expect(map.last("showSelection")).toEqual(cropBBox);
    expect(map.last("showBoxes")).toBe(2);
    expect(map.last("fitBBox")).toEqual({ bbox: cropBBox, maxZoom: 17 });
    expect(useAppStore.getState().focus).toBeNull();
  });

  it("moves the map to a clicked box's extent, inside the crop", async () => {
    showHistoryEntry(entry());
    await settle();
    mapEvents().onBoxClicked(1);
    await settle();
    const { bbox } = map.last("fitBBox") as { bbox: typeof cropBBox };
    expect(bbox.west).toBeGreaterThan(cropBBox.west);
    expect(bbox.east).toBeLessThan(cropBBox.east);
    expect(bbox.south).toBeGreaterThan(cropBBox.south);
    expect(bbox.north).toBeLessThan(cropBBox.north);
    expect(bbox.east - bbox.west).toBeLessThan((cropBBox.east - cropBBox.west) / 2);
    const before = map.calls.length;
    mapEvents().onBoxClicked(7);
    await settle();
    expect(map.calls.slice(before).filter(([name]) => name === "fitBBox")).toEqual([]);
  });

  it("highlights a box hovered on the map in the answer's state, and back on the map", async () => {
    mapEvents().onBoxHovered(1);
    expect(useModelStore.getState().highlightedBox).toBe(1);
    await settle();
    expect(map.last("highlightBox")).toBe(1);
    mapEvents().onBoxHovered(null);
    expect(useModelStore.getState().highlightedBox).toBeNull();
    await settle();
    expect(map.last("highlightBox")).toBeNull();
  });

  it("clears an answer's boxes when the source changes, but keeps those a kept result draws with its source", async () => {
    const stop = clearBoxesWhenSourceChanges();
    useAppStore.getState().selectSource("esri-world-imagery");
    showHistoryEntry(entry());
    await settle();
    expect(useAppStore.getState().sourceId).toBe("sample");
    expect(map.last("showBoxes")).toBe(2);
    useAppStore.getState().selectSource("esri-world-imagery");
    await settle();
    expect(map.last("showBoxes")).toBe(0);
    expect(useMapLayers.getState().labels).toEqual([]);
    stop();
    useAppStore.getState().selectSource("sample");
  });

  it("draws labels set in the layers' store and stops following once disconnected", async () => {
    useMapLayers.setState({ labels: [{ lngLat: [10, 48], text: "IoU 0.50", colour: "#fff" }] });
    await settle();
    expect(map.last("showLabels")).toEqual(["IoU 0.50"]);
    disconnect();
    const before = map.calls.length;
    useAppStore.getState().setTool("rectangle");
    useMapLayers.setState({ labels: [] });
    await settle();
    expect(map.calls.length).toBe(before);
    useAppStore.getState().setTool("pan");
  });
});
