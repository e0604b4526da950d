import { type AttributeValue, type ElementType, floatAttr, type GraphBuilder, onnxDataType } from "./builder.ts";

/** Adds a one-output node named `name` and returns its output, `"<name>/output_0"`. */
function single(
  g: GraphBuilder,
  opType: string,
  name: string,
  inputs: string[],
  attributes: Record<string, AttributeValue> = {},
  domain = "",
): string {
  const output = `${name}/output_0`;
  g.makeNode(opType, inputs, [output], name, attributes, domain);
  return output;
}

/** Matrix product. */
export const makeMatMul = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "MatMul", name, [a, b]);
/** Element-wise sum. */
export const makeAdd = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "Add", name, [a, b]);
/** Element-wise difference. */
export const makeSub = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "Sub", name, [a, b]);
/** Element-wise product. */
export const makeMul = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "Mul", name, [a, b]);
/** Element-wise quotient. */
export const makeDiv = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "Div", name, [a, b]);
/** Negation. */
export const makeNeg = (g: GraphBuilder, name: string, x: string) => single(g, "Neg", name, [x]);
/** Logistic sigmoid. */
export const makeSigmoid = (g: GraphBuilder, name: string, x: string) => single(g, "Sigmoid", name, [x]);
/** Hyperbolic tangent. */
export const makeTanh = (g: GraphBuilder, name: string, x: string) => single(g, "Tanh", name, [x]);
/** Error function. */
export const makeErf = (g: GraphBuilder, name: string, x: string) => single(g, "Erf", name, [x]);
/** Cosine. */
export const makeCos = (g: GraphBuilder, name: string, x: string) => single(g, "Cos", name, [x]);
/** Sine. */
export const makeSin = (g: GraphBuilder, name: string, x: string) => single(g, "Sin", name, [x]);
/** Floor. */
export const makeFloor = (g: GraphBuilder, name: string, x: string) => single(g, "Floor", name, [x]);
/** Shape of a tensor as int64. */
export const makeShape = (g: GraphBuilder, name: string, x: string) => single(g, "Shape", name, [x]);
/** Element-wise equality. */
export const makeEqual = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "Equal", name, [a, b]);
/** Element-wise a < b. */
export const makeLess = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "Less", name, [a, b]);
/** Element-wise a <= b. */
export const makeLessOrEqual = (g: GraphBuilder, name: string, a: string, b: string) =>
  single(g, "LessOrEqual", name, [a, b]);
/** Logical and. */
export const makeAnd = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "And", name, [a, b]);
/** Element-wise maximum. */
export const makeMax = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "Max", name, [a, b]);
/** Element-wise minimum. */
export const makeMin = (g: GraphBuilder, name: string, a: string, b: string) => single(g, "Min", name, [a, b]);
/** Picks `a` where `condition`, else `b`. */
export const makeWhere = (g: GraphBuilder, name: string, condition: string, a: string, b: string) =>
  single(g, "Where", name, [condition, a, b]);
/** Reshape to a shape tensor. */
export const makeReshape = (g: GraphBuilder, name: string, x: string, shape: string) =>
  single(g, "Reshape", name, [x, shape]);
/** Broadcast to a shape tensor. */
export const makeExpand = (g: GraphBuilder, name: string, x: string, shape: string) =>
  single(g, "Expand", name, [x, shape]);
/** Repeats along each axis. */
export const makeTile = (g: GraphBuilder, name: string, x: string, repeats: string) =>
  single(g, "Tile", name, [x, repeats]);
/** Permutes axes. */
export const makeTranspose = (g: GraphBuilder, name: string, x: string, perm: number[]) =>
  single(g, "Transpose", name, [x], { perm });
/** Element type conversion. */
export const makeCast = (g: GraphBuilder, name: string, x: string, to: ElementType) =>
  single(g, "Cast", name, [x], { to: onnxDataType(to) });
/** Softmax over one axis. */
export const makeSoftmax = (g: GraphBuilder, name: string, x: string, axis: number) =>
  single(g, "Softmax", name, [x], { axis });
/** Rows of `data` picked by `indices` along `axis`. */
export const makeGather = (g: GraphBuilder, name: string, data: string, indices: string, axis = 0) =>
  single(g, "Gather", name, [data, indices], { axis });
/** Concatenation along one axis. */
export const makeConcat = (g: GraphBuilder, name: string, inputs: string[], axis: number) =>
  single(g, "Concat", name, inputs, { axis });
/** Inserts size-1 axes. */
export const makeUnsqueeze = (g: GraphBuilder, name: string, x: string, axes: number[]) =>
  single(g, "Unsqueeze", name, [x, g.int64(axes)]);
/** Removes size-1 axes. */
export const makeSqueeze = (g: GraphBuilder, name: string, x: string, axes: number[]) =>
  single(g, "Squeeze", name, [x, g.int64(axes)]);
/** Integer range [start, limit) by delta (scalars). */
export const makeRange = (g: GraphBuilder, name: string, start: string, limit: string, delta: string) =>
  single(g, "Range", name, [start, limit, delta]);
/** Running sum along an axis (scalar int axis tensor). */
export const makeCumSum = (g: GraphBuilder, name: string, x: string, axis: number) =>
  single(g, "CumSum", name, [x, g.int64([axis], [])]);
/** Sum over axes. */
export const makeReduceSum = (g: GraphBuilder, name: string, x: string, axes: number[], keepdims = 1) =>
  single(g, "ReduceSum", name, [x, g.int64(axes)], { keepdims });
/** Zero padding with a pads tensor. */
export const makePad = (g: GraphBuilder, name: string, x: string, pads: string) => single(g, "Pad", name, [x, pads]);

/** Slice with constant starts/ends/axes (INT64 max as "to the end"). */
export function makeSlice(g: GraphBuilder, name: string, x: string, starts: number[], ends: number[], axes: number[]) {
  return single(g, "Slice", name, [x, g.int64(starts), g.int64(ends), g.int64(axes)]);
}

/** Slice with tensor starts/ends. */
export function makeDynamicSlice(
  g: GraphBuilder,
  name: string,
  x: string,
  starts: string,
  ends: string,
  axes: number[],
) {
  return single(g, "Slice", name, [x, starts, ends, g.int64(axes)]);
}

/** Splits into equal-or-given parts along an axis; returns every output. */
export function makeSplit(g: GraphBuilder, name: string, x: string, sizes: number[], axis: number): string[] {
  const outputs = sizes.map((_, i) => `${name}/output_${i}`);
  g.makeNode("Split", [x, g.int64(sizes)], outputs, name, { axis });
  return outputs;
}

/** Layer normalisation over the last axis, with scale and bias. */
export function makeLayerNorm(g: GraphBuilder, name: string, x: string, scale: string, bias: string, epsilon: number) {
  return single(g, "LayerNormalization", name, [x, scale, bias], { axis: -1, epsilon: floatAttr(epsilon) });
}

/** RMS normalisation over the last axis (ONNX Runtime's SimplifiedLayerNormalization, CPU and WebGPU). */
export function makeRmsNorm(g: GraphBuilder, name: string, x: string, scale: string, epsilon: number) {
  return single(g, "SimplifiedLayerNormalization", name, [x, scale], { axis: -1, epsilon: floatAttr(epsilon) });
}

/**
 * RMS norm of x + skip over the last axis, and the sum itself (com.microsoft SkipSimplifiedLayerNormalization:
 * outputs 0 and 3; the mean and inverse deviation are left out).
 */
export function makeSkipRmsNorm(
  g: GraphBuilder,
  name: string,
  x: string,
  skip: string,
  scale: string,
  epsilon: number,
) {
  const normed = `${name}/output_0`;
  const sum = `${name}/output_3`;
  g.makeNode(
    "SkipSimplifiedLayerNormalization",
    [x, skip, scale],
    [normed, "", "", sum],
    name,
    {
      epsilon: floatAttr(epsilon),
    },
    "com.microsoft",
  );
  return { normed, sum };
}

/**
 * Rotary embedding of [B, S, heads·d] rows by the halves of the last axis (com.microsoft RotaryEmbedding, not
 * interleaved): position_ids [B, S] index rows of the cos and sin caches [positions, d/2].
 */
export function makeRotaryEmbedding(
  g: GraphBuilder,
  name: string,
  x: string,
  cache: { positionIds: string; cos: string; sin: string },
  numHeads: number,
) {
  return single(
    g,
    "RotaryEmbedding",
    name,
    [x, cache.positionIds, cache.cos, cache.sin],
    { interleaved: 0, num_heads: numHeads },
    "com.microsoft",
  );
}

/** 4-bit block-quantised matrix product (com.microsoft MatMulNBits). */
export function makeMatMulNBits(
  g: GraphBuilder,
  name: string,
  a: string,
  weights: { data: string; scales: string; zeroPoints: string },
  shape: { K: number; N: number; blockSize: number },
) {
  return single(
    g,
    "MatMulNBits",
    name,
    [a, weights.data, weights.scales, weights.zeroPoints],
    { K: shape.K, N: shape.N, bits: 4, block_size: shape.blockSize, accuracy_level: 0 },
    "com.microsoft",
  );
}

/** Row lookup in a 4-bit block-quantised table (com.microsoft GatherBlockQuantized). */
export function makeGatherBlockQuantized(
  g: GraphBuilder,
  name: string,
  table: { data: string; scales: string; zeroPoints: string },
  indices: string,
  blockSize: number,
) {
  return single(
    g,
    "GatherBlockQuantized",
    name,
    [table.data, indices, table.scales, table.zeroPoints],
    { gather_axis: 0, quantize_axis: 1, block_size: blockSize, bits: 4 },
    "com.microsoft",
  );
}
