import { describe, expect, it } from "vitest";
import { snapshotOrigin } from "./snapshot-origin.ts";

describe("snapshotOrigin", () => {
  it("names the hub repository, revision and subfolder of a snapshot in the hub cache, never the local path", () => {
    const dir =
      "/home/ana/.cache/huggingface/hub/models--hjvsl--GeoZero/snapshots/0123abcd0123abcd0123abcd0123abcd0123abcd/GeoZero-8B-without-RFT";
    const origin = snapshotOrigin(dir);
    expect(origin).toEqual({
      folder: "GeoZero-8B-without-RFT",
      hub: {
        id: "hjvsl/GeoZero",
        revision: "0123abcd0123abcd0123abcd0123abcd0123abcd",
        subfolder: "GeoZero-8B-without-RFT",
      },
    });
    expect(JSON.stringify(origin)).not.toContain("/home/ana");
    expect(snapshotOrigin("/x/models--Qwen--Qwen3-VL-8B-Instruct/snapshots/main").hub).toEqual({
      id: "Qwen/Qwen3-VL-8B-Instruct",
      revision: "main",
    });
  });

  it("keeps only the folder's name for any other folder", () => {
    expect(snapshotOrigin("/srv/models/GeoZero-8B-without-RFT/")).toEqual({ folder: "GeoZero-8B-without-RFT" });
    expect(snapshotOrigin("snapshots")).toEqual({ folder: "snapshots" });
  });
});
