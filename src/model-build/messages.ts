import type { OutputDtype } from "../convert/graph/weights.ts";
import type { PickedFile } from "../io/picked-files";
import type { MessageSpec } from "../io/worker-rpc";
import type { HubLocation } from "./hub-snapshot";
import type { BuildRecord } from "./journal";

/** Where a build reads from: a hub repository folder, or a folder on this computer. */
export type SnapshotChoice =
  | { kind: "hub"; location: HubLocation; token: string | null }
  | { kind: "folder"; files: PickedFile[] };

/** What a build would do, read before anything large is fetched. */
export interface BuildPreview {
  /** the build's id (its folder in the browser's storage and its id in the model list) */
  key: string;
  name: string;
  /** the snapshot as read: repository@commit/subfolder, or the folder's name */
  label: string;
  /** the commit the revision resolved to (hub) */
  commit: string | null;
  modelType: string;
  dtype: OutputDtype;
  /** bytes of the checkpoint's weights, all of which a build reads once */
  sourceBytes: number;
  /** bytes still to read (less when an earlier build of this model stopped part-way) */
  toReadBytes: number;
  /** bytes the built model keeps in the browser's storage */
  keptBytes: number;
  /** bytes still to write */
  toWriteBytes: number;
  /** what the browser reports: quota and usage for this site */
  storage: { quotaBytes: number; usageBytes: number } | null;
  /** the read rate measured on one piece of the largest shard (bytes/s) */
  measuredBytesPerSecond: number;
  /** the earlier build of this model, stopped or finished */
  earlier: Pick<BuildRecord, "status" | "progress" | "stopReason"> | null;
}

/** Progress of a build, tagged by status. */
export type BuildProgress =
  | { status: "planning" }
  | {
      status: "building";
      file: string;
      /** bytes received from the network (or read from the folder) in this run */
      downloadedBytes: number;
      /** checkpoint bytes done, earlier runs included, of all */
      readBytes: number;
      totalBytes: number;
      tensorsDone: number;
      tensors: number;
      bytesPerSecond: number;
      secondsLeft: number;
    }
  | { status: "waiting"; reason: string }
  | { status: "finishing" };

/** A finished build. */
export interface BuildResult {
  key: string;
  files: number;
  keptBytes: number;
  downloadedBytes: number;
  seconds: number;
}

/** The build worker's messages. */
export type BuildMessages = {
  inspect: MessageSpec<{ snapshot: SnapshotChoice; dtype: OutputDtype }, BuildPreview>;
  build: MessageSpec<{ snapshot: SnapshotChoice; dtype: OutputDtype }, BuildResult, BuildProgress>;
  remove: MessageSpec<{ key: string }, { freedBytes: number }>;
};
