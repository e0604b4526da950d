import type { ElementType } from "../graph/builder.ts";
import type { ViewNode } from "./graph-view.ts";

/** A tensor's element type and concrete shape, and its values when it is small enough to compute (shape math). */
export interface TensorInfo {
  type: ElementType;
  shape: number[];
  values?: number[];
}

/** Elements up to which values are computed: shape vectors, indices and small tables, never activations. */
const VALUE_LIMIT = 1 << 16;

export const elementCount = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

type Rule = (node: ViewNode, inputs: (TensorInfo | undefined)[]) => TensorInfo[];

function need(node: ViewNode, inputs: (TensorInfo | undefined)[], index: number): TensorInfo {
  const input = inputs[index];
  if (!input) throw new Error(`${node.name} (${node.opType}): input ${index} "${node.inputs[index]}" is unknown.`);
  return input;
}

function needValues(node: ViewNode, inputs: (TensorInfo | undefined)[], index: number): number[] {
  const values = need(node, inputs, index).values;
  if (!values) throw new Error(`${node.name} (${node.opType}): input ${index} must be a computable shape value.`);
  return values;
}

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Numpy broadcasting of several shapes. */
export function broadcast(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    let size = 1;
    for (const shape of shapes) {
      const d = shape[shape.length - rank + i] ?? 1;
      if (d !== 1) size = d;
    }
    return size;
  });
}

/** Row-major strides of a shape. */
function strides(shape: number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1] * shape[i + 1];
  return out;
}

/** The flat index in `shape` (broadcast against `out`) of each element of `out`. */
function broadcastIndex(shape: number[], out: number[]): number[] {
  const count = elementCount(out);
  const outStrides = strides(out);
  const padded = [...new Array<number>(out.length - shape.length).fill(1), ...shape];
  const inStrides = strides(padded);
  return Array.from({ length: count }, (_, flat) => {
    let index = 0;
    for (let d = 0; d < out.length; d++) {
      const coordinate = Math.floor(flat / outStrides[d]) % out[d];
      if (padded[d] !== 1) index += coordinate * inStrides[d];
    }
    return index;
  });
}

/** An element-wise op over broadcast inputs; values computed when every input has them and the result is small. */
function elementwise(type: (inputs: TensorInfo[]) => ElementType, fn?: (...x: number[]) => number): Rule {
  return (node, inputs) => {
    const given = node.inputs.map((_, i) => need(node, inputs, i));
    const shape = broadcast(given.map((t) => t.shape));
    const out: TensorInfo = { type: type(given), shape };
    if (fn && given.every((t) => t.values) && elementCount(shape) <= VALUE_LIMIT) {
      const indices = given.map((t) => broadcastIndex(t.shape, shape));
      out.values = indices[0].map((_, i) => fn(...given.map((t, k) => (t.values as number[])[indices[k][i]])));
    }
    return [out];
  };
}

const same = (inputs: TensorInfo[]) => inputs[0].type;
const sameAsLast = (inputs: TensorInfo[]) => inputs[inputs.length - 1].type;
const boolean = () => "bool" as const;

/** Integer division as ONNX defines it for integer tensors (truncation), float division otherwise. */
function divide(type: ElementType): (a: number, b: number) => number {
  return type === "int64" || type === "int32" ? (a, b) => Math.trunc(a / b) : (a, b) => a / b;
}

const ONNX_TYPES: Record<number, ElementType> = {
  1: "float32",
  10: "float16",
  7: "int64",
  6: "int32",
  2: "uint8",
  9: "bool",
};

function castValue(to: ElementType, value: number): number {
  if (to === "bool") return value !== 0 ? 1 : 0;
  if (to === "int64" || to === "int32") return Math.trunc(value);
  return value;
}

function reshapeTo(node: ViewNode, input: TensorInfo, target: number[]): number[] {
  const shape = target.map((d, i) => (d === 0 ? input.shape[i] : d));
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const out = shape.map((d) => (d === -1 ? elementCount(input.shape) / known : d));
  if (elementCount(out) !== elementCount(input.shape))
    throw new Error(`${node.name}: cannot reshape [${input.shape}] to [${target}].`);
  return out;
}

function unsqueezeShape(shape: number[], axes: number[]): number[] {
  const rank = shape.length + axes.length;
  const normal = axes.map((a) => axisOf(a, rank));
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) out.push(normal.includes(i) ? 1 : shape[next++]);
  return out;
}

/** Values of `input` transposed by `perm` (small tensors). */
function transposeValues(input: TensorInfo, perm: number[]): number[] | undefined {
  if (!input.values) return undefined;
  const outShape = perm.map((p) => input.shape[p]);
  const inStrides = strides(input.shape);
  const outStrides = strides(outShape);
  return Array.from({ length: input.values.length }, (_, flat) => {
    let index = 0;
    for (let d = 0; d < outShape.length; d++)
      index += (Math.floor(flat / outStrides[d]) % outShape[d]) * inStrides[perm[d]];
    return (input.values as number[])[index];
  });
}

function gather(node: ViewNode, inputs: (TensorInfo | undefined)[]): TensorInfo[] {
  const data = need(node, inputs, 0);
  const indices = need(node, inputs, 1);
  const axis = axisOf(Number(node.attributes.axis ?? 0), data.shape.length);
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  const out: TensorInfo = { type: data.type, shape };
  if (data.values && indices.values && elementCount(shape) <= VALUE_LIMIT) {
    const outer = elementCount(data.shape.slice(0, axis));
    const inner = elementCount(data.shape.slice(axis + 1));
    const values: number[] = [];
    for (let o = 0; o < outer; o++)
      for (const raw of indices.values) {
        const index = raw < 0 ? raw + data.shape[axis] : raw;
        for (let i = 0; i < inner; i++) values.push(data.values[(o * data.shape[axis] + index) * inner + i]);
      }
    out.values = values;
  }
  return [out];
}

function concat(node: ViewNode, inputs: (TensorInfo | undefined)[]): TensorInfo[] {
  const parts = node.inputs.map((_, i) => need(node, inputs, i));
  const axis = axisOf(Number(node.attributes.axis), parts[0].shape.length);
  const shape = [...parts[0].shape];
  shape[axis] = parts.reduce((sum, p) => sum + p.shape[axis], 0);
  const out: TensorInfo = { type: parts[0].type, shape };
  if (parts.every((p) => p.values) && elementCount(shape) <= VALUE_LIMIT) {
    const outer = elementCount(shape.slice(0, axis));
    const values: number[] = [];
    for (let o = 0; o < outer; o++)
      for (const p of parts) {
        const block = elementCount(p.shape.slice(axis));
        values.push(...(p.values as number[]).slice(o * block, (o + 1) * block));
      }
    out.values = values;
  }
  return [out];
}

function slice(node: ViewNode, inputs: (TensorInfo | undefined)[]): TensorInfo[] {
  const data = need(node, inputs, 0);
  const starts = needValues(node, inputs, 1);
  const ends = needValues(node, inputs, 2);
  const axes = node.inputs[3] ? needValues(node, inputs, 3) : starts.map((_, i) => i);
  const steps = node.inputs[4] ? needValues(node, inputs, 4) : starts.map(() => 1);
  const shape = [...data.shape];
  const ranges = data.shape.map((d) => ({ start: 0, step: 1, size: d }));
  axes.forEach((rawAxis, i) => {
    const axis = axisOf(rawAxis, data.shape.length);
    const size = data.shape[axis];
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    const start = clamp(starts[i]);
    const end = clamp(ends[i]);
    shape[axis] = Math.max(0, Math.ceil((end - start) / steps[i]));
    ranges[axis] = { start, step: steps[i], size: shape[axis] };
  });
  const out: TensorInfo = { type: data.type, shape };
  if (data.values && elementCount(shape) <= VALUE_LIMIT) {
    const inStrides = strides(data.shape);
    const outStrides = strides(shape);
    out.values = Array.from({ length: elementCount(shape) }, (_, flat) => {
      let index = 0;
      for (let d = 0; d < shape.length; d++)
        index += (ranges[d].start + (Math.floor(flat / outStrides[d]) % shape[d]) * ranges[d].step) * inStrides[d];
      return (data.values as number[])[index];
    });
  }
  return [out];
}

function matmulShape(a: number[], b: number[]): number[] {
  const batch = broadcast([a.slice(0, -2), b.slice(0, -2)]);
  return [...batch, a[a.length - 2], b[b.length - 1]];
}

/** Shapes (and small values) by op type: every op the converter writes. */
const RULES: Record<string, Rule> = {
  Add: elementwise(same, (a, b) => a + b),
  Sub: elementwise(same, (a, b) => a - b),
  Mul: elementwise(same, (a, b) => a * b),
  Div: (node, inputs) => elementwise(same, divide(need(node, inputs, 0).type))(node, inputs),
  Max: elementwise(same, Math.max),
  Min: elementwise(same, Math.min),
  Equal: elementwise(boolean, (a, b) => (a === b ? 1 : 0)),
  Less: elementwise(boolean, (a, b) => (a < b ? 1 : 0)),
  LessOrEqual: elementwise(boolean, (a, b) => (a <= b ? 1 : 0)),
  And: elementwise(boolean, (a, b) => (a && b ? 1 : 0)),
  Where: elementwise(sameAsLast, (c, a, b) => (c ? a : b)),
  Neg: elementwise(same, (a) => -a),
  Floor: elementwise(same, Math.floor),
  Sigmoid: elementwise(same),
  Tanh: elementwise(same),
  Erf: elementwise(same),
  Cos: elementwise(same, Math.cos),
  Sin: elementwise(same, Math.sin),
  QuickGelu: elementwise(same),
  Softmax: elementwise(same),
  Identity: (node, inputs) => [need(node, inputs, 0)],
  Cast: (node, inputs) => {
    const input = need(node, inputs, 0);
    const to = ONNX_TYPES[Number(node.attributes.to)];
    return [{ type: to, shape: input.shape, values: input.values?.map((v) => castValue(to, v)) }];
  },
  Shape: (node, inputs) => {
    const shape = need(node, inputs, 0).shape;
    return [{ type: "int64", shape: [shape.length], values: [...shape] }];
  },
  Reshape: (node, inputs) => {
    const input = need(node, inputs, 0);
    return [{ ...input, shape: reshapeTo(node, input, needValues(node, inputs, 1)) }];
  },
  Unsqueeze: (node, inputs) => {
    const input = need(node, inputs, 0);
    return [{ ...input, shape: unsqueezeShape(input.shape, needValues(node, inputs, 1)) }];
  },
  Squeeze: (node, inputs) => {
    const input = need(node, inputs, 0);
    const axes = needValues(node, inputs, 1).map((a) => axisOf(a, input.shape.length));
    return [{ ...input, shape: input.shape.filter((_, i) => !axes.includes(i)) }];
  },
  Transpose: (node, inputs) => {
    const input = need(node, inputs, 0);
    const perm =
      (node.attributes.perm as number[] | undefined) ?? input.shape.map((_, i) => input.shape.length - 1 - i);
    return [{ type: input.type, shape: perm.map((p) => input.shape[p]), values: transposeValues(input, perm) }];
  },
  Gather: gather,
  Concat: concat,
  Slice: slice,
  Split: (node, inputs) => {
    const input = need(node, inputs, 0);
    const axis = axisOf(Number(node.attributes.axis ?? 0), input.shape.length);
    const sizes = needValues(node, inputs, 1);
    return sizes.map((size) => ({ type: input.type, shape: input.shape.map((d, i) => (i === axis ? size : d)) }));
  },
  Range: (node, inputs) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => needValues(node, inputs, i)[0]);
    const count = Math.max(0, Math.ceil((limit - start) / delta));
    const values = count <= VALUE_LIMIT ? Array.from({ length: count }, (_, i) => start + i * delta) : undefined;
    return [{ type: need(node, inputs, 0).type, shape: [count], values }];
  },
  Tile: (node, inputs) => {
    const input = need(node, inputs, 0);
    const repeats = needValues(node, inputs, 1);
    return [{ type: input.type, shape: input.shape.map((d, i) => d * repeats[i]) }];
  },
  Expand: (node, inputs) => {
    const input = need(node, inputs, 0);
    return [{ type: input.type, shape: broadcast([input.shape, needValues(node, inputs, 1)]) }];
  },
  ReduceSum: (node, inputs) => {
    const input = need(node, inputs, 0);
    const axes = needValues(node, inputs, 1).map((a) => axisOf(a, input.shape.length));
    const keep = Number(node.attributes.keepdims ?? 1) === 1;
    const shape = input.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
    const out: TensorInfo = { type: input.type, shape };
    if (input.values && axes.length === input.shape.length) out.values = [input.values.reduce((a, b) => a + b, 0)];
    else if (input.values && input.shape.length === 2 && axes.length === 1 && axes[0] === 1) {
      const [rows, columns] = input.shape;
      out.values = Array.from({ length: rows }, (_, r) =>
        (input.values as number[]).slice(r * columns, (r + 1) * columns).reduce((a, b) => a + b, 0),
      );
    }
    return [out];
  },
  CumSum: (node, inputs) => [{ ...need(node, inputs, 0), values: undefined }],
  Pad: (node, inputs) => {
    const input = need(node, inputs, 0);
    const pads = needValues(node, inputs, 1);
    const rank = input.shape.length;
    return [{ type: input.type, shape: input.shape.map((d, i) => d + pads[i] + pads[i + rank]) }];
  },
  MatMul: (node, inputs) => [
    { type: need(node, inputs, 0).type, shape: matmulShape(need(node, inputs, 0).shape, need(node, inputs, 1).shape) },
  ],
  LayerNormalization: (node, inputs) => [{ type: need(node, inputs, 0).type, shape: need(node, inputs, 0).shape }],
  SimplifiedLayerNormalization: (node, inputs) => [
    { type: need(node, inputs, 0).type, shape: need(node, inputs, 0).shape },
  ],
  SkipSimplifiedLayerNormalization: (node, inputs) => {
    const input = need(node, inputs, 0);
    const stats = { type: "float32" as const, shape: [...input.shape.slice(0, -1), 1] };
    return [{ type: input.type, shape: input.shape }, stats, stats, { type: input.type, shape: input.shape }];
  },
  RotaryEmbedding: (node, inputs) => [need(node, inputs, 0)].map((t) => ({ type: t.type, shape: t.shape })),
  MatMulNBits: (node, inputs) => {
    const a = need(node, inputs, 0);
    return [{ type: a.type, shape: [...a.shape.slice(0, -1), Number(node.attributes.N)] }];
  },
  GatherBlockQuantized: (node, inputs) => {
    const data = need(node, inputs, 0);
    const indices = need(node, inputs, 1);
    const scales = need(node, inputs, 2);
    const columns = (data.shape[1] * 8) / Number(node.attributes.bits ?? 4);
    return [{ type: scales.type, shape: [...indices.shape, columns] }];
  },
  GroupQueryAttention: (node, inputs) => {
    const q = need(node, inputs, 0);
    const past = need(node, inputs, 3);
    const total = needValues(node, inputs, 6)[0];
    const kvHeads = Number(node.attributes.kv_num_heads);
    const present = { type: past.type, shape: [past.shape[0], kvHeads, Math.max(total, past.shape[2]), past.shape[3]] };
    return [{ type: q.type, shape: q.shape }, present, present];
  },
  MultiHeadAttention: (node, inputs) => {
    const q = need(node, inputs, 0);
    const v = need(node, inputs, 2);
    return [{ type: q.type, shape: [...q.shape.slice(0, -1), v.shape[v.shape.length - 1]] }];
  },
};

/** The op types the counter knows, for messages. */
export const KNOWN_OPS = Object.keys(RULES);

/** The outputs of one node from its inputs' shapes (and values, for shape math). */
export function inferNode(node: ViewNode, inputs: (TensorInfo | undefined)[]): TensorInfo[] {
  const rule = RULES[node.opType];
  if (!rule)
    throw new Error(
      `${node.name}: the cost counter does not know ${node.opType}; add its rule to src/convert/cost/infer.ts.`,
    );
  return rule(node, inputs);
}
