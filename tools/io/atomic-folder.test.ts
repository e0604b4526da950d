import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFolderAtomically } from "./atomic-folder.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "atomic-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("writeFolderAtomically", () => {
  it("replaces an existing folder only when filling succeeds", async () => {
    const out = join(root, "model");
    await mkdir(out);
    await writeFile(join(out, "old.txt"), "old");
    const result = await writeFolderAtomically(out, async (dir) => {
      await writeFile(join(dir, "new.txt"), "new");
      expect(await readdir(root)).toContain(`.model.partial-${process.pid}`);
      return 42;
    });
    expect(result).toBe(42);
    expect(await readdir(out)).toEqual(["new.txt"]);
    expect(await readdir(root)).toEqual(["model"]);
  });

  it("leaves the old folder and no partial one when filling fails", async () => {
    const out = join(root, "model");
    await mkdir(out);
    await writeFile(join(out, "old.txt"), "old");
    await expect(
      writeFolderAtomically(out, async (dir) => {
        await writeFile(join(dir, "half.txt"), "half");
        throw new Error("shard 2 truncated");
      }),
    ).rejects.toThrow("shard 2 truncated");
    expect(await readdir(root)).toEqual(["model"]);
    expect(await readFile(join(out, "old.txt"), "utf8")).toBe("old");
  });

  it("gives up when aborted before the rename", async () => {
    const controller = new AbortController();
    const out = join(root, "fresh");
    await expect(
      writeFolderAtomically(
        out,
        async (dir) => {
          await writeFile(join(dir, "a.txt"), "a");
          controller.abort(new Error("stopped by the user"));
        },
        controller.signal,
      ),
    ).rejects.toThrow("stopped by the user");
    expect(await readdir(root)).toEqual([]);
  });
});
