import type { GraphCost } from "./count.ts";

/** A GPU as the prediction sees it: published memory bandwidth and FP32 vector throughput (WebGPU shaders use no tensor cores). */
export interface GpuSpec {
  name: string;
  bandwidthGBs: number;
  fp32Tflops: number;
}

/** Published figures (vendors' spec sheets), rounded. */
export const GPUS: GpuSpec[] = [
  { name: "NVIDIA H200 SXM (HBM3e)", bandwidthGBs: 4800, fp32Tflops: 67 },
  { name: "NVIDIA H100 SXM (HBM3)", bandwidthGBs: 3350, fp32Tflops: 67 },
  { name: "NVIDIA H100 PCIe (HBM2e)", bandwidthGBs: 2000, fp32Tflops: 51 },
  { name: "NVIDIA RTX 4090", bandwidthGBs: 1008, fp32Tflops: 82.6 },
  { name: "NVIDIA RTX 3060 12 GB", bandwidthGBs: 360, fp32Tflops: 12.7 },
  { name: "Apple M3 Max (40-core GPU)", bandwidthGBs: 400, fp32Tflops: 16.4 },
  { name: "Intel Iris Xe (96 EU, LPDDR4x-4266)", bandwidthGBs: 68, fp32Tflops: 2.2 },
];

/** What the prediction assumes beyond the published figures; each is replaced by a measurement when a GPU runs. */
export interface Assumptions {
  /** Share of the published bandwidth that onnxruntime's WebGPU kernels reach. */
  bandwidthEfficiency: number;
  /** Share of the FP32 throughput its matrix kernels reach (prefill, the vision encoder). */
  computeEfficiency: number;
  /**
   * Time each dispatch adds beyond its memory traffic and arithmetic, µs: onnxruntime and Dawn record each kernel on
   * the CPU (measured by onnxruntime's profiler on lavapipe here: a median of 10–22 µs per kernel on 2 shared cores)
   * and a decoding step waits for them; launch gaps and barriers on the GPU add to it.
   */
  dispatchMicros: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  bandwidthEfficiency: 0.75,
  computeEfficiency: 0.25,
  dispatchMicros: 20,
};

/** Seconds one run of a counted graph takes: its traffic or its arithmetic, whichever is slower, plus its dispatches. */
export function runSeconds(cost: GraphCost, gpu: GpuSpec, assume: Assumptions = DEFAULT_ASSUMPTIONS): number {
  const bytes = cost.weightBytes + cost.kvReadBytes + cost.kvWrittenBytes + cost.activationBytes;
  const memory = bytes / (gpu.bandwidthGBs * 1e9 * assume.bandwidthEfficiency);
  const compute = cost.matmulFlops / (gpu.fp32Tflops * 1e12 * assume.computeEfficiency);
  return Math.max(memory, compute) + (cost.dispatches * assume.dispatchMicros) / 1e6;
}

/** The floor no kernel beats: the weights and the KV cache read once at the published bandwidth. */
export function bandwidthBoundSeconds(cost: GraphCost, gpu: GpuSpec): number {
  return (cost.weightBytes + cost.kvCacheBytes) / (gpu.bandwidthGBs * 1e9);
}

/** The counted runs a prediction needs for one model build. */
export interface CountedBuild {
  /** One decoding step after this many tokens of context, by context. */
  decode: Record<number, GraphCost>;
  /** Per image side: the vision encoder's run and the prefill chunks of its prompt, in order. */
  image: Record<number, { encoder: GraphCost; prefillChunks: GraphCost[] }>;
}

export interface Prediction {
  gpu: string;
  /** Decode tokens/s by context. */
  decodeTokensPerSecond: Record<number, number>;
  /** The bandwidth bound of the same, tokens/s. */
  decodeBoundTokensPerSecond: Record<number, number>;
  /** Time to first token for one image of each side (encode, prefill, the first token's logits), seconds. */
  firstTokenSeconds: Record<number, number>;
}

export function predict(build: CountedBuild, gpu: GpuSpec, assume: Assumptions = DEFAULT_ASSUMPTIONS): Prediction {
  const map = <T, U>(record: Record<number, T>, fn: (value: T) => U): Record<number, U> =>
    Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
  return {
    gpu: gpu.name,
    decodeTokensPerSecond: map(build.decode, (cost) => 1 / runSeconds(cost, gpu, assume)),
    decodeBoundTokensPerSecond: map(build.decode, (cost) => 1 / bandwidthBoundSeconds(cost, gpu)),
    firstTokenSeconds: map(
      build.image,
      ({ encoder, prefillChunks }) =>
        runSeconds(encoder, gpu, assume) + prefillChunks.reduce((sum, c) => sum + runSeconds(c, gpu, assume), 0),
    ),
  };
}
