/**
 * External data for onnxruntime-web's JSPI build, paced to the GPU queue. That build reads each initializer with
 * `blob.slice(start, end).stream()` and hands it to WebGPU through a mapped staging buffer; on a slow queue (a
 * software adapter) the staging buffers of many initializers wait at once, hundreds of MB beyond the weights. A paced
 * Blob starts each piece only once `ready()` resolves (the queue has done what was submitted before), so one upload is
 * in flight at a time. Everything else is the Blob itself.
 */
export function pacedBlob(blob: Blob, ready: () => Promise<unknown>): Blob {
  return withMethod(blob, "slice", (start?: number, end?: number, type?: string) =>
    pacedPiece(blob.slice(start, end, type), ready),
  );
}

function pacedPiece(piece: Blob, ready: () => Promise<unknown>): Blob {
  return withMethod(piece, "stream", () => streamAfter(piece, ready));
}

/** The piece's bytes, read only after `ready()` resolves. */
function streamAfter(piece: Blob, ready: () => Promise<unknown>): ReadableStream<Uint8Array<ArrayBuffer>> {
  let reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>> | null = null;
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      if (!reader) {
        await ready();
        reader = piece.stream().getReader();
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader?.cancel(reason),
  });
}

/** The Blob with one method replaced; still a Blob to `instanceof`, its other members bound to it. */
function withMethod<K extends keyof Blob>(blob: Blob, name: K, method: Blob[K]): Blob {
  return new Proxy(blob, {
    get(target, property) {
      if (property === name) return method;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
