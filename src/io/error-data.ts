/**
 * Errors as data across a worker boundary, as MapLibre registers its `AJAXError` for transfer: an error crosses as its
 * name, message and own fields, and the other side re-creates an instance of the registered class with the same
 * fields, so callers switch on `instanceof` and fields, never on the message's text.
 */

/** An error as it crosses: structured-clonable. */
export interface ErrorData {
  name: string;
  message: string;
  /** the error's own fields (plain data: numbers, strings, arrays, plain objects) */
  fields: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: any constructor whose instances are Errors
type ErrorClass = abstract new (...args: any[]) => Error;

const registry = new Map<string, ErrorClass>();

/** Makes `errorClass` re-creatable on the receiving side under `name` (its instances' `name`). */
export function registerErrorType(name: string, errorClass: ErrorClass): void {
  const known = registry.get(name);
  if (known && known !== errorClass) throw new Error(`Two error classes are registered as "${name}".`);
  registry.set(name, errorClass);
}

/** The error classes this realm (page or worker bundle) re-creates, by name. */
export function registeredErrorTypes(): ReadonlyMap<string, ErrorClass> {
  return registry;
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether a thrown value is an abort (a signal's reason, or a worker call's abort re-created on this side). */
export function isAbortError(error: unknown): boolean {
  return (error instanceof Error || error instanceof DOMException) && error.name === "AbortError";
}

/** The data of any thrown value. */
export function errorToData(error: unknown): ErrorData {
  if (!(error instanceof Error) && !(error instanceof DOMException))
    return { name: "Error", message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key !== "name" && key !== "message" && key !== "stack") fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

/** Re-creates an error from its data: the registered class with its fields, a DOMException, or a plain Error. */
export function errorFromData({ name, message, fields }: ErrorData): Error {
  const errorClass = registry.get(name);
  if (errorClass) {
    const error = Object.create(errorClass.prototype) as Error;
    Object.assign(error, fields);
    Object.defineProperties(error, {
      name: { value: name, enumerable: true },
      message: { value: message, writable: true },
    });
    return error;
  }
  if (name === "AbortError" || name === "TimeoutError") return new DOMException(message, name);
  const error = new Error(message);
  error.name = name;
  return error;
}
