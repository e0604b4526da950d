/**
 * Makes transformers.js run on onnxruntime-web's JSPI build, served by this app. Imported before transformers.js:
 * transformers.js takes the runtime registered under `Symbol.for("onnxruntime")` when there is one. The JSPI build
 * reads external data from Blobs piece by piece, initializer by initializer, straight into GPU buffers or the wasm
 * heap, so a model's weights never sit whole in JavaScript memory (the asyncify build that transformers.js picks by
 * default takes every chunk as one Uint8Array). Offline and private by construction: its files come from this app.
 */
import * as ort from "onnxruntime-web/jspi";
import asyncifyMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url";
import asyncifyWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url";
import jspiMjsUrl from "onnxruntime-web/ort-wasm-simd-threaded.jspi.mjs?url";
import jspiWasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jspi.wasm?url";
import * as ortAsyncify from "onnxruntime-web/webgpu";

/**
 * Whether this browser has JavaScript Promise Integration (Chrome 137 and later). Without it transformers.js keeps
 * its own asyncify build, which copies each external-data file whole into memory.
 */
export const streamsWeights = typeof (WebAssembly as { Suspending?: unknown }).Suspending === "function";

/** The ONNX Runtime module transformers.js runs on here: sessions the app creates itself come from it too. */
export const ortRuntime: typeof ort = streamsWeights ? ort : ortAsyncify;

if (streamsWeights) {
  ort.env.wasm.wasmPaths = { mjs: jspiMjsUrl, wasm: jspiWasmUrl };
  (globalThis as Record<symbol, unknown>)[Symbol.for("onnxruntime")] = ort;
} else {
  ortAsyncify.env.wasm.wasmPaths = { mjs: asyncifyMjsUrl, wasm: asyncifyWasmUrl };
}
