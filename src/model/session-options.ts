/**
 * Outputs kept in GPU buffers on WebGPU, by name: the KV cache of every layer (`present.*`, as transformers.js keeps
 * it) and the token embeddings, so that at each decoding step only the logits cross to the CPU. onnxruntime-web ignores
 * names a session lacks, so the browser's sessions share the map (onnxruntime-node refuses them).
 */
export function gpuResidentOutputs(layers: number): Record<string, "gpu-buffer"> {
  const outputs: Record<string, "gpu-buffer"> = { inputs_embeds: "gpu-buffer" };
  for (let i = 0; i < layers; i++) {
    outputs[`present.${i}.key`] = "gpu-buffer";
    outputs[`present.${i}.value`] = "gpu-buffer";
  }
  return outputs;
}
