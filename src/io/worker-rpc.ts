/**
 * Typed, cancellable calls between the page and a Web Worker: one map from message type to its request, response
 * and progress event types, as MapLibre's actor messages. An unknown type is answered with the list of known ones.
 * Errors cross as data (error-data.ts) and are re-created as their registered classes.
 */
import type { CallQueue } from "./call-queue";
import { type ErrorData, errorFromData, errorToData } from "./error-data";

/** One entry per message type. */
export interface MessageSpec<Request, Response, Event = never> {
  request: Request;
  response: Response;
  event: Event;
}

// biome-ignore lint/suspicious/noExplicitAny: the map's value types are checked where it is instantiated
export type MessageMap = Record<string, MessageSpec<any, any, any>>;

type Envelope =
  | { kind: "call"; id: number; type: string; request: unknown }
  | { kind: "abort"; id: number }
  | { kind: "event"; id: number; event: unknown }
  | { kind: "result"; id: number; response: unknown }
  | { kind: "error"; id: number; error: ErrorData };

/** The worker-side or page-side end of a channel: a Worker, the worker's global scope, or a MessagePort. */
export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

/** Options of one call. */
export interface CallOptions<E> {
  onEvent?: (event: E) => void;
  transfer?: Transferable[];
  signal?: AbortSignal;
  /**
   * On abort, wait for the worker's own answer (the partial result of a handler that ends with a result when stopped,
   * or its abort error) instead of rejecting at once: the caller learns when the worker has really stopped.
   */
  settleByWorker?: boolean;
}

/** The page's side: calls handlers in the worker. */
export class WorkerClient<M extends MessageMap> {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve(value: unknown): void; reject(error: Error): void; onEvent?: (event: unknown) => void }
  >();

  constructor(private readonly endpoint: Endpoint) {
    endpoint.addEventListener("message", (event) => this.receive(event.data as Envelope));
  }

  /** Sends one request; the signal aborts it in the worker too. */
  call<K extends keyof M & string>(type: K, request: M[K]["request"], options: CallOptions<M[K]["event"]> = {}) {
    const { signal, onEvent, transfer, settleByWorker } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    return new Promise<M[K]["response"]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent: onEvent as ((event: unknown) => void) | undefined });
      signal?.addEventListener(
        "abort",
        () => {
          this.endpoint.postMessage({ kind: "abort", id } satisfies Envelope);
          if (settleByWorker) return;
          this.pending.delete(id);
          reject(signal.reason instanceof Error ? signal.reason : new DOMException("Aborted", "AbortError"));
        },
        { once: true },
      );
      this.endpoint.postMessage({ kind: "call", id, type, request } satisfies Envelope, transfer ?? []);
    });
  }

  /**
   * Rejects every call still waiting for its answer with `error`: the worker behind this client is going away (its
   * answers would never come). Their workers' handlers are not told; the worker is expected to end.
   */
  rejectPending(error: Error): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(error);
  }

  private receive(message: Envelope): void {
    const call = this.pending.get(message.id);
    if (!call) return;
    if (message.kind === "event") call.onEvent?.(message.event);
    if (message.kind === "result") {
      this.pending.delete(message.id);
      call.resolve(message.response);
    }
    if (message.kind === "error") {
      this.pending.delete(message.id);
      call.reject(errorFromData(message.error));
    }
  }
}

/** What a handler gets beside its request. */
export interface HandlerContext<E> {
  emit(event: E, transfer?: Transferable[]): void;
  signal: AbortSignal;
}

/** The worker's handlers, one per message type. */
export type Handlers<M extends MessageMap> = {
  [K in keyof M]: (
    request: M[K]["request"],
    context: HandlerContext<M[K]["event"]>,
  ) => Promise<Transferring<M[K]["response"]> | M[K]["response"]>;
};

/** A handler's response with the buffers to transfer rather than copy. */
export class Transferring<R> {
  constructor(
    readonly response: R,
    readonly transfer: Transferable[],
  ) {}
}

/** How the worker runs its calls. */
export interface ServeOptions {
  /** Runs the calls through this queue, one at a time in the order they arrive, rather than as they arrive. */
  queue?: CallQueue;
}

/**
 * The worker's side: answers calls with the handlers. An abort message aborts the call's signal: a call still waiting
 * in the queue is removed, a running one sees its signal aborted.
 */
export function serveWorker<M extends MessageMap>(
  endpoint: Endpoint,
  handlers: Handlers<M>,
  options: ServeOptions = {},
): void {
  const controllers = new Map<number, AbortController>();
  const fail = (id: number, error: unknown) => {
    const data = errorToData(error);
    try {
      endpoint.postMessage({ kind: "error", id, error: data } satisfies Envelope);
    } catch {
      // A field that cannot be cloned (a function, a GPU object): the caller still gets the error's name and message.
      endpoint.postMessage({ kind: "error", id, error: { ...data, fields: {} } } satisfies Envelope);
    }
  };
  endpoint.addEventListener("message", async (event) => {
    const message = event.data as Envelope;
    if (message.kind === "abort") {
      controllers.get(message.id)?.abort(new DOMException("Aborted", "AbortError"));
      return;
    }
    if (message.kind !== "call") return;
    const { id, type, request } = message;
    const handler = handlers[type as keyof M];
    if (!handler) {
      const known = Object.keys(handlers).join(", ");
      fail(id, new Error(`Unknown worker message "${type}". Known: ${known}.`));
      return;
    }
    const controller = new AbortController();
    controllers.set(id, controller);
    const emit = (payload: unknown, transfer?: Transferable[]) =>
      endpoint.postMessage({ kind: "event", id, event: payload } satisfies Envelope, transfer ?? []);
    const work = (signal: AbortSignal) => Promise.resolve(handler(request, { emit, signal }));
    try {
      const result = await (options.queue ? options.queue.run(work, controller.signal) : work(controller.signal));
      const { response, transfer } = result instanceof Transferring ? result : new Transferring(result, []);
      endpoint.postMessage({ kind: "result", id, response } satisfies Envelope, transfer);
    } catch (error) {
      fail(id, error);
    } finally {
      controllers.delete(id);
    }
  });
}
