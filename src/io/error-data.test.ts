import { describe, expect, it } from "vitest";
import { errorFromData, errorToData, isAbortError } from "./error-data";

describe("isAbortError", () => {
  it("holds for a signal's own reason and for an abort that crossed a worker boundary, not for other failures", () => {
    const controller = new AbortController();
    controller.abort();
    expect(isAbortError(controller.signal.reason)).toBe(true);
    expect(isAbortError(errorFromData(errorToData(new DOMException("Aborted", "AbortError"))))).toBe(true);
    expect(isAbortError(new DOMException("Timed out", "TimeoutError"))).toBe(false);
    expect(isAbortError(new Error("Aborted"))).toBe(false);
    expect(isAbortError("AbortError")).toBe(false);
    expect(isAbortError(null)).toBe(false);
  });
});
