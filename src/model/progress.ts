/** Why the files of a load were read from the network without being kept: the browser would not store them. */
export interface StorageRefusal {
  /** bytes the load still had to store when the browser refused */
  neededBytes: number;
  /** what the browser reported as free for this site (quota − usage), when it reports it */
  availableBytes: number | null;
}

/** Load progress events, tagged by `status`. */
export type LoadProgress =
  | { status: "checking-folder" }
  /** a request for a file is out and no byte has come back yet */
  | { status: "request"; file: string; loaded: number; total: number }
  | {
      status: "download";
      file: string;
      fileLoaded: number;
      fileTotal: number;
      loaded: number;
      total: number;
      bytesPerSecond: number;
      secondsLeft: number;
    }
  | { status: "cached"; file: string; loaded: number; total: number }
  | ({ status: "not-cached" } & StorageRefusal)
  | { status: "initialise"; device: string; dtype: string }
  | { status: "warmup"; device: "webgpu" | "wasm" }
  | { status: "ready"; fromCache: boolean; seconds: number };

/** Tracks bytes over time and gives the rate and time left. */
export class TransferMeter {
  private readonly started: number;
  constructor(
    readonly total: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  /** Bytes per second and seconds left after `loaded` bytes. */
  measure(loaded: number): { bytesPerSecond: number; secondsLeft: number } {
    const seconds = Math.max((this.now() - this.started) / 1000, 1e-3);
    const bytesPerSecond = loaded / seconds;
    const secondsLeft = bytesPerSecond > 0 ? (this.total - loaded) / bytesPerSecond : Number.POSITIVE_INFINITY;
    return { bytesPerSecond, secondsLeft };
  }
}

/** Says that the browser would not keep the model's files, with its numbers, and what follows. */
export function storageRefusalText({ neededBytes, availableBytes }: StorageRefusal): string {
  const mb = (bytes: number) => `${Math.ceil(bytes / 1e6).toLocaleString("en")} MB`;
  const room =
    availableBytes === null
      ? "the browser refused to store them"
      : availableBytes >= neededBytes
        ? `the browser refused to store them, though it reports ${mb(availableBytes)} free for this site`
        : `the browser gives this site ${mb(availableBytes)}`;
  return (
    `Not cached: the model's files need ${mb(neededBytes)} of storage and ${room} (a private window keeps little). ` +
    "They are read from the server this time and will be downloaded again on the next load; free disk space or use a regular window to keep them."
  );
}
