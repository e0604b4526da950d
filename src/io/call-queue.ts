/**
 * Runs asynchronous work one call at a time, in the order asked: the one place the model's calls are serialised, in
 * the browser's model worker and in the Node tools. A call cancelled while it waits is removed without running; a
 * running call gets the caller's signal, and the next call starts only once it has returned.
 */
export class CallQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  /** Calls waiting or running. */
  get length(): number {
    return this.queued;
  }

  /** Runs `work` after every call asked before it; rejects with the signal's reason if aborted while waiting. */
  async run<T>(work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal = NEVER_ABORTED): Promise<T> {
    const previous = this.tail;
    let release = () => {};
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.queued++;
    try {
      await untilDoneOrAborted(previous, signal);
      signal.throwIfAborted();
      return await work(signal);
    } finally {
      this.queued--;
      // A call removed while waiting hands on its turn only when the calls before it are done.
      void previous.then(release);
    }
  }
}

const NEVER_ABORTED = new AbortController().signal;

function untilDoneOrAborted(previous: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void previous.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
