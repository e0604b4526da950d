import { describe, expect, it } from "vitest";
import { planCrop } from "../imagery/crop-plan";
import { findBoxes } from "./boxes";
import { boxColour, boxesToGeoJson } from "./geojson";
import { modelInputFor } from "./model-input-size";

/**
 * A world pixel at a zoom as longitude/latitude, by the slippy-map formulas written out here rather than through the
 * georeference code under test: lng = X / W · 360 − 180, lat = atan(sinh(π · (1 − 2Y / W))), W = 256 · 2^zoom.
 */
function worldPixelDegrees(x: number, y: number, zoom: number): [number, number] {
  const world = 256 * 2 ** zoom;
  return [(x / world) * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / world))) * 180) / Math.PI];
}

const places = [
  { name: "equator", bbox: { west: 30.0, south: -0.01, east: 30.01, north: 0.0 } },
  { name: "Berlin", bbox: { west: 13.37, south: 52.51, east: 13.38, north: 52.515 } },
  { name: "Svalbard", bbox: { west: 15.6, south: 78.222, east: 15.605, north: 78.223 } },
];

describe("boxesToGeoJson", () => {
  for (const place of places) {
    for (const zoom of [12, 16, 19]) {
      it(`puts box corners at their geographic position (${place.name}, zoom ${zoom})`, () => {
        const planned = planCrop(place.bbox, zoom);
        if (!planned.valid) throw new Error(planned.reason);
        const { georef } = planned.plan;
        const frame = {
          convention: "pixels" as const,
          input: modelInputFor(planned.width, planned.height),
          cropWidth: planned.width,
          cropHeight: planned.height,
        };
        const x2 = Math.max(2, Math.floor(planned.width * 0.6));
        const y2 = Math.max(2, Math.floor(planned.height * 0.7));
        const boxes = findBoxes(`{"bbox_2d": [1, 1, ${x2}, ${y2}], "label": "site"}`, frame);
        const collection = boxesToGeoJson(boxes, georef, { question: "where?", answer: "here", model: "tiny" });
        const [feature] = collection.features;
        expect(feature.properties).toMatchObject({
          label: "site",
          colour: boxColour(0),
          question: "where?",
          model: "tiny",
        });
        const ring = feature.geometry.coordinates[0];
        expect(ring[0]).toEqual(ring[4]);
        const expectedPixels = (boxes[0].pixels ?? []) as number[];
        const [ex1, ey1, ex2, ey2] = expectedPixels;
        const { left, top } = planned.plan.window;
        const expected = [
          [ex1, ey1],
          [ex2, ey1],
          [ex2, ey2],
          [ex1, ey2],
        ].map(([px, py]) => worldPixelDegrees(left + px, top + py, zoom));
        // A pixel is 360° / 2^(zoom + 8) wide: 2.7e-6° at zoom 19; each corner must be in the ring, exact to far less.
        for (const [lng, lat] of expected) {
          const near = ring.slice(0, 4).filter(([x, y]) => Math.abs(x - lng) < 1e-9 && Math.abs(y - lat) < 1e-9);
          expect(near, `corner ${lng}, ${lat} in ${JSON.stringify(ring)}`).toHaveLength(1);
        }
        // counter-clockwise: positive signed area in lng/lat
        const area = ring.slice(0, 4).reduce((sum, p, i) => {
          const q = ring[i + 1];
          return sum + (p[0] * q[1] - q[0] * p[1]);
        }, 0);
        expect(area).toBeGreaterThan(0);
      });
    }
  }

  it("leaves dropped boxes out", () => {
    const planned = planCrop(places[1].bbox, 16);
    if (!planned.valid) throw new Error(planned.reason);
    const frame = {
      convention: "pixels" as const,
      input: modelInputFor(planned.width, planned.height),
      cropWidth: planned.width,
      cropHeight: planned.height,
    };
    const boxes = findBoxes("[5, 5, 2, 2] [1, 1, 3, 3]", frame);
    expect(boxesToGeoJson(boxes, planned.plan.georef).features.map((f) => f.properties?.index)).toEqual([1]);
  });
});
