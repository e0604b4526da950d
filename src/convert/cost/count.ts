import { ELEMENT_BYTES } from "../graph/builder.ts";
import type { GraphView, ViewNode } from "./graph-view.ts";
import { elementCount, inferNode, type TensorInfo } from "./infer.ts";

/**
 * What one run of a graph costs on onnxruntime's WebGPU execution provider, counted from the graph and the shapes of
 * its inputs: GPU dispatches, bytes of weights read, bytes of KV cache read and written, other bytes moved, the
 * matrix FLOPs, and the bytes that cross to the CPU.
 */
export interface GraphCost {
  dispatches: number;
  weightBytes: number;
  kvReadBytes: number;
  kvWrittenBytes: number;
  /** Bytes of the KV cache the run is given (every layer's past keys and values): what reading it once costs. */
  kvCacheBytes: number;
  /** Bytes of activations read and written by the dispatches (neither weights nor KV cache). */
  activationBytes: number;
  /** 2·M·K·N of every matrix product, attention's QKᵀ and PV included. */
  matmulFlops: number;
  /** Outputs that are read back to the CPU (every output not kept in a GPU buffer). */
  bytesToCpu: number;
  /** Dispatches by op type. */
  dispatchesByOp: Record<string, number>;
}

/** The inputs of one run: each input's shape, and its values where the graph computes shapes from them. */
export type RunInputs = Record<string, { shape: number[]; values?: number[] }>;

export interface CountOptions {
  /** Outputs kept in GPU buffers (the KV cache): they never cross to the CPU. */
  gpuResident?: (output: string) => boolean;
  /** Inputs whose bytes are the KV cache (`past_key_values.*` by default). */
  isKvInput?: (input: string) => boolean;
}

/** Ops that onnxruntime's WebGPU provider runs without a kernel: a view of the same buffer, or shape metadata. */
const VIEW_OPS = new Set(["Reshape", "Squeeze", "Unsqueeze", "Identity", "Shape"]);
const INTEGER = new Set(["int64", "int32"]);
const FLOAT = new Set(["float32", "float16"]);
/** Ops whose output is a rearranged copy of their first input: the KV cache stays KV cache through them. */
const KV_CARRYING = new Set(["Concat", "Tile", "Transpose", "Expand", "Reshape", "Unsqueeze", "Squeeze", "Identity"]);

/**
 * Kernels onnxruntime's WebGPU GroupQueryAttention runs: the KV-cache copy, then one flash-attention kernel for a
 * prompt, or two (QKV and V-reduce) when one token is decoded.
 */
export const gqaDispatches = (sequenceLength: number): number => (sequenceLength === 1 ? 3 : 2);

const bytesOf = (t: TensorInfo): number => elementCount(t.shape) * ELEMENT_BYTES[t.type];

interface Walk {
  tensors: Map<string, TensorInfo>;
  kv: Set<string>;
  /** Tensors computed on the CPU (shape arithmetic, integer ops) or given by it (graph inputs). */
  cpu: Set<string>;
  consumers: Map<string, number>;
}

function startWalk(graph: GraphView, inputs: RunInputs, isKvInput: (name: string) => boolean): Walk {
  const tensors = new Map<string, TensorInfo>();
  const kv = new Set<string>();
  for (const [name, init] of graph.initializers)
    tensors.set(name, { type: init.type, shape: init.dims, values: init.values });
  for (const input of graph.inputs) {
    const given = inputs[input.name];
    if (!given) throw new Error(`The run gives no shape for the graph input "${input.name}".`);
    tensors.set(input.name, { type: input.type, shape: given.shape, values: given.values });
    if (isKvInput(input.name)) kv.add(input.name);
  }
  const consumers = new Map<string, number>();
  for (const node of graph.nodes) for (const name of node.inputs) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  const cpu = new Set([...graph.initializers.keys(), ...graph.inputs.map((input) => input.name)]);
  return { tensors, kv, cpu, consumers };
}

/**
 * Sigmoid whose only use is Mul(x, Sigmoid(x)): onnxruntime fuses the pair into one QuickGelu kernel (SiLU), so the
 * Sigmoid costs nothing of its own.
 */
function fusedSigmoids(graph: GraphView, walk: Walk): Set<string> {
  const sigmoidInput = new Map<string, string>();
  for (const node of graph.nodes) if (node.opType === "Sigmoid") sigmoidInput.set(node.outputs[0], node.inputs[0]);
  const fused = new Set<string>();
  for (const node of graph.nodes) {
    if (node.opType !== "Mul") continue;
    const [a, b] = node.inputs;
    for (const [x, s] of [
      [a, b],
      [b, a],
    ])
      if (sigmoidInput.get(s) === x && walk.consumers.get(s) === 1) fused.add(s);
  }
  return fused;
}

function dispatchesOf(node: ViewNode, outputs: TensorInfo[], inputs: (TensorInfo | undefined)[]): number {
  if (VIEW_OPS.has(node.opType)) return 0;
  // integer arithmetic (shapes, positions, the attention mask's sums): onnxruntime places it on the CPU; float
  // arithmetic stays on the GPU even where its values follow from the inputs (the vision tower's interpolation)
  const given = inputs.filter((t): t is TensorInfo => t !== undefined);
  if (given.length > 0 && given.every((t) => INTEGER.has(t.type))) return 0;
  if (outputs.every((t) => t.values !== undefined && !FLOAT.has(t.type))) return 0;
  if (node.opType === "GroupQueryAttention") return gqaDispatches((inputs[0] as TensorInfo).shape[1]);
  if (node.opType === "MultiHeadAttention") return 2; // the K/V copy, flash attention
  return 1;
}

function matmulFlops(node: ViewNode, inputs: (TensorInfo | undefined)[], outputs: TensorInfo[]): number {
  const out = outputs[0];
  if (node.opType === "MatMulNBits") return 2 * (elementCount(out.shape) * Number(node.attributes.K));
  if (node.opType === "MatMul") {
    const a = (inputs[0] as TensorInfo).shape;
    return 2 * elementCount(out.shape) * a[a.length - 1];
  }
  if (node.opType === "GroupQueryAttention") {
    const [batch, sequence, width] = (inputs[0] as TensorInfo).shape;
    const total = outputs[1].shape[2];
    return 2 * 2 * batch * sequence * width * total; // QKᵀ and PV over every head
  }
  return 0;
}

/** A run that costs nothing: the start of a count. */
export function emptyCost(): GraphCost {
  return {
    dispatches: 0,
    weightBytes: 0,
    kvReadBytes: 0,
    kvWrittenBytes: 0,
    kvCacheBytes: 0,
    activationBytes: 0,
    matmulFlops: 0,
    bytesToCpu: 0,
    dispatchesByOp: {},
  };
}

/** Counts one run of `graph` with the given input shapes. */
export function countGraphCost(graph: GraphView, inputs: RunInputs, options: CountOptions = {}): GraphCost {
  const isKvInput = options.isKvInput ?? ((name: string) => name.startsWith("past_key_values."));
  const walk = startWalk(graph, inputs, isKvInput);
  const fused = fusedSigmoids(graph, walk);
  const cost = emptyCost();
  for (const name of walk.kv) cost.kvCacheBytes += bytesOf(walk.tensors.get(name) as TensorInfo);
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((name) => (name ? walk.tensors.get(name) : undefined));
    const outputs = inferNode(node, inputs);
    node.outputs.forEach((name, i) => {
      if (name && outputs[i]) walk.tensors.set(name, outputs[i]);
    });
    const readsKv = node.inputs.some((name) => walk.kv.has(name));
    const presentOutputs = node.opType === "GroupQueryAttention" ? [1, 2] : [];
    node.outputs.forEach((name, i) => {
      if ((readsKv && KV_CARRYING.has(node.opType) && i === 0) || presentOutputs.includes(i)) walk.kv.add(name);
    });
    const dispatches = fused.has(node.outputs[0]) ? 0 : dispatchesOf(node, outputs, inputs);
    // where each output lives: a view where its input does, a node without a kernel (not fused) on the CPU
    const onCpu = VIEW_OPS.has(node.opType)
      ? node.opType === "Shape" || walk.cpu.has(node.inputs[0])
      : dispatches === 0 && !fused.has(node.outputs[0]);
    if (onCpu) for (const name of node.outputs) walk.cpu.add(name);
    if (dispatches === 0) continue;
    cost.dispatches += dispatches;
    cost.dispatchesByOp[node.opType] = (cost.dispatchesByOp[node.opType] ?? 0) + dispatches;
    cost.matmulFlops += matmulFlops(node, inputs, outputs);
    node.inputs.forEach((name, i) => {
      const tensor = inputs[i];
      // a fused Sigmoid's output is never written: QuickGelu reads x once
      if (!name || !tensor || fused.has(name)) return;
      // integer initializers are shape parameters (split sizes, axes), read on the CPU
      if (graph.initializers.has(name)) cost.weightBytes += INTEGER.has(tensor.type) ? 0 : bytesOf(tensor);
      else if (walk.kv.has(name)) cost.kvReadBytes += bytesOf(tensor);
      else cost.activationBytes += bytesOf(tensor);
    });
    node.outputs.forEach((name, i) => {
      if (!name || !outputs[i]) return;
      if (walk.kv.has(name)) cost.kvWrittenBytes += bytesOf(outputs[i]);
      else cost.activationBytes += bytesOf(outputs[i]);
    });
    // GroupQueryAttention's attention kernels read the whole present cache it has just written
    for (const i of presentOutputs) cost.kvReadBytes += bytesOf(outputs[i]);
  }
  const gpuResident = options.gpuResident ?? ((name: string) => name.startsWith("present."));
  for (const output of graph.outputs) {
    const tensor = walk.tensors.get(output.name);
    if (tensor && !gpuResident(output.name) && !walk.cpu.has(output.name)) cost.bytesToCpu += bytesOf(tensor);
  }
  return cost;
}
