import { describe, expect, it } from "vitest";
import { ChipTimer } from "./estimate";

describe("ChipTimer", () => {
  it("estimates from the median chip, measured on the first chips and refined as they come", () => {
    const timer = new ChipTimer();
    expect(timer.secondsFor(10)).toBeNull();
    timer.record(2000);
    expect(timer.secondsFor(10)).toBe(20);
    // A first chip that compiled shaders is slow; the median soon forgets it.
    timer.record(1000);
    timer.record(1100);
    expect(timer.secondsPerChip()).toBe(1.1);
    expect(timer.secondsFor(100)).toBeCloseTo(110, 9);
  });

  it("starts from an earlier sweep's measurements, kept as a sample that keeps their median", () => {
    const earlier = new ChipTimer(Array.from({ length: 101 }, (_, i) => 1000 + i * 10));
    expect(earlier.secondsPerChip()).toBe(1.5);
    const next = new ChipTimer(earlier.recent(20));
    expect(next.count).toBe(20);
    expect(next.secondsPerChip()).toBeCloseTo(1.5, 1);
  });
});
