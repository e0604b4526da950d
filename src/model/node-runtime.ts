/**
 * Node only, imported before onnxruntime-node makes its first tensor. onnxruntime-node 1.30 takes float16 inputs as
 * Uint16Array bits only, while onnxruntime-common 1.31 (shared with onnxruntime-web) stores float16 data as a native
 * Float16Array wherever the runtime has one (Node 24), so every float16 input failed there ("not enough space:
 * expected …, got 0"). Hidden from onnxruntime-common, float16 data stays in Uint16Array, which both runtimes take.
 */
delete (globalThis as { Float16Array?: unknown }).Float16Array;
