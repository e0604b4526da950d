/**
 * External data for onnxruntime-web's JSPI build, paced to the GPU queue. That build reads each initializer with
 * `blob.slice(start, end).stream()` and hands it to WebGPU through a mapped staging buffer; on a slow queue (a
 * software adapter) the staging buffers of many initializers wait at once, hundreds of MB beyond the weights, and
 * the sessions of a load are created side by side, each reading its own initializers.
 *
 * A {@link ReadPacer} lets one piece be read at a time across every Blob it paces: a piece's bytes start once the
 * piece read before it has been read to its end and `ready()` has resolved (the queue has done what was submitted
 * before), so one upload is in flight at a time. A {@link PacedBlob} is a real Blob (any API that checks the type
 * takes it; its bytes are the original's, not a copy) whose `slice` gives paced Blobs and whose `stream` is paced;
 * `arrayBuffer`, `text` and `bytes` read at once, unpaced.
 */

/** Orders the reads of the pieces of the Blobs it paces: one at a time, each after `ready()`. */
export class ReadPacer {
  /** settles when the piece that last took its turn has been read (or given up) */
  private lastTurn: Promise<void> = Promise.resolve();

  constructor(private readonly ready: () => Promise<unknown>) {}

  /** `blob` with its pieces' streams paced by this pacer. */
  pace(blob: Blob): PacedBlob {
    return new PacedBlob(blob, this);
  }

  /**
   * The bytes of `piece`, read once its turn comes: turns go by first read, and a turn ends when the reader has had
   * `piece.size` bytes, reached the end, cancelled, or met an error. A reader must do one of these, or every later
   * piece waits.
   */
  stream(piece: Blob): ReadableStream<Uint8Array<ArrayBuffer>> {
    let reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>> | null = null;
    let delivered = 0;
    let endTurn = () => {};
    const takeTurn = async () => {
      const before = this.lastTurn;
      this.lastTurn = new Promise((resolve) => {
        endTurn = resolve;
      });
      await before;
      await this.ready();
      return piece.stream().getReader();
    };
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      async pull(controller) {
        try {
          reader ??= await takeTurn();
          const { done, value } = await reader.read();
          if (done) {
            endTurn();
            controller.close();
            return;
          }
          delivered += value.byteLength;
          if (delivered >= piece.size) endTurn();
          controller.enqueue(value);
        } catch (error) {
          endTurn();
          throw error;
        }
      },
      cancel: (reason) => {
        endTurn();
        return reader?.cancel(reason);
      },
    });
  }
}

/** A Blob whose pieces are read through a {@link ReadPacer}. */
export class PacedBlob extends Blob {
  constructor(
    private readonly source: Blob,
    private readonly pacer: ReadPacer,
  ) {
    super([source], { type: source.type });
  }

  override slice(start?: number, end?: number, contentType?: string): PacedBlob {
    return new PacedBlob(this.source.slice(start, end, contentType), this.pacer);
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.pacer.stream(this.source);
  }
}
