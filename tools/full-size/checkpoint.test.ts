import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiskSpaceError } from "../io/disk-space.ts";
import { fullSizeCheckpointBytes, makeFullSizeCheckpoint } from "./checkpoint.ts";

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describe("the 8B-shaped checkpoint", () => {
  it("is GeoZero-8B's size: 8.77 billion bf16 parameters", () => {
    expect(fullSizeCheckpointBytes() / 2 / 1e9).toBeCloseTo(8.767, 2);
  });

  it("is refused before anything is written when the disk lacks the room, naming need and free space", async () => {
    const root = await mkdtemp(join(tmpdir(), "full-size-"));
    roots.push(root);
    process.env.GEOZERO_FREE_BYTES = String(5e9);
    try {
      const made = makeFullSizeCheckpoint(join(root, "snapshot"));
      await expect(made).rejects.toBeInstanceOf(DiskSpaceError);
      await expect(made).rejects.toThrow(
        /needs 17\.5 GB in .*snapshot \(and 1\.0 GB to spare\), but its disk has 5\.0 GB free/,
      );
    } finally {
      delete process.env.GEOZERO_FREE_BYTES;
    }
    expect(existsSync(join(root, "snapshot"))).toBe(false);
  });
});
