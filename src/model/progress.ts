/** Load progress events, tagged by `status`. */
export type LoadProgress =
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
  | { status: "verify"; file: string }
  | { status: "initialise"; device: string; dtype: string }
  | { status: "warmup" }
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
