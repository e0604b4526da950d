import { describe, expect, it } from "vitest";
import { type PlannedSlice, SlicePrefetcher } from "./prefetch.ts";

const slice = (tensor: string, first: number, count = 2): PlannedSlice => ({ tensor, first, count });

describe("SlicePrefetcher", () => {
  it("launches planned slices ahead, across tensors, never more than the budget untaken", async () => {
    const launched: string[] = [];
    const plan = [slice("a", 0), slice("a", 2), slice("b", 0), slice("b", 2), slice("c", 0)];
    const prefetcher = new SlicePrefetcher(
      plan,
      async (s) => {
        launched.push(`${s.tensor}${s.first}`);
        return `${s.tensor}${s.first}`;
      },
      2,
    );
    expect(launched).toEqual([]); // nothing before the first take
    expect(await prefetcher.take(slice("a", 0))).toBe("a0");
    expect(launched).toEqual(["a0", "a2", "b0"]);
    expect(await prefetcher.take(slice("a", 2))).toBe("a2");
    expect(launched).toEqual(["a0", "a2", "b0", "b2"]); // b is under way before a's last slice is used
    for (const s of plan.slice(2)) expect(await prefetcher.take(s)).toBe(`${s.tensor}${s.first}`);
    expect(launched).toHaveLength(5);
    expect(prefetcher.unplanned).toBe(0);
  });

  it("never launches the slices passed over before the first take (a resumed conversion)", async () => {
    const launched: string[] = [];
    const plan = [slice("a", 0), slice("a", 2), slice("b", 0), slice("b", 2)];
    const prefetcher = new SlicePrefetcher(
      plan,
      async (s) => {
        launched.push(`${s.tensor}${s.first}`);
        return `${s.tensor}${s.first}`;
      },
      2,
    );
    prefetcher.pass(slice("a", 0));
    prefetcher.pass(slice("a", 2));
    expect(await prefetcher.take(slice("b", 0))).toBe("b0");
    expect(await prefetcher.take(slice("b", 2))).toBe("b2");
    expect(launched).toEqual(["b0", "b2"]);
    expect(prefetcher.unplanned).toBe(0);
  });

  it("launches a slice the plan did not foresee on the spot and counts it", async () => {
    let launches = 0;
    const prefetcher = new SlicePrefetcher(
      [slice("a", 0)],
      async (s) => {
        launches++;
        return s.tensor;
      },
      4,
    );
    expect(await prefetcher.take(slice("z", 0))).toBe("z");
    expect(prefetcher.unplanned).toBe(1);
    expect(await prefetcher.take(slice("a", 0))).toBe("a");
    expect(launches).toBe(2);
  });

  it("keeps an early failure until its slice is taken", async () => {
    const prefetcher = new SlicePrefetcher(
      [slice("a", 0), slice("a", 2)],
      async (s) => {
        if (s.first === 2) throw new Error("bad slice");
        return s.first;
      },
      2,
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await prefetcher.take(slice("a", 0))).toBe(0);
    await expect(prefetcher.take(slice("a", 2))).rejects.toThrow("bad slice");
  });
});
