import onnxProto from "onnx-proto";
import { ELEMENT_BYTES, type ElementType, type ModelProto } from "../graph/builder.ts";

const { onnx } = onnxProto;

/** A node as the cost counter reads it. */
export interface ViewNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, number | number[] | string>;
}

/** An initializer: its size, and its values when it is small (shape vectors, axes, scalar constants). */
export interface ViewInitializer {
  type: ElementType;
  dims: number[];
  bytes: number;
  values?: number[];
}

/** A graph input or output: element type and dims (names for symbolic ones). */
export interface ViewValue {
  name: string;
  type: ElementType;
  shape: (number | string)[];
}

/** The parts of an ONNX graph the cost counter needs, as plain data. */
export interface GraphView {
  name: string;
  nodes: ViewNode[];
  initializers: Map<string, ViewInitializer>;
  inputs: ViewValue[];
  outputs: ViewValue[];
}

const TYPE_OF: Record<number, ElementType> = {
  [onnx.TensorProto.DataType.FLOAT]: "float32",
  [onnx.TensorProto.DataType.FLOAT16]: "float16",
  [onnx.TensorProto.DataType.INT64]: "int64",
  [onnx.TensorProto.DataType.INT32]: "int32",
  [onnx.TensorProto.DataType.UINT8]: "uint8",
  [onnx.TensorProto.DataType.BOOL]: "bool",
};

/** Elements up to which an initializer's values are read (shape vectors, axes and scalars are far smaller). */
const VALUE_LIMIT = 4096;

/** A protobuf integer (number or Long) as a number. */
const num = (value: unknown): number => Number(value);

function elementType(code: unknown, where: string): ElementType {
  const type = TYPE_OF[num(code)];
  if (!type) throw new Error(`${where}: element type ${String(code)} is not one the converter writes.`);
  return type;
}

function initializerValues(type: ElementType, raw: Uint8Array, count: number): number[] | undefined {
  if (count > VALUE_LIMIT || raw.byteLength < count * ELEMENT_BYTES[type]) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (type === "int64") out.push(Number(view.getBigInt64(i * 8, true)));
    else if (type === "int32") out.push(view.getInt32(i * 4, true));
    else if (type === "float32") out.push(view.getFloat32(i * 4, true));
    else if (type === "uint8" || type === "bool") out.push(view.getUint8(i));
    else return undefined;
  }
  return out;
}

type AttributeProto = onnxProto.onnx.IAttributeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

function attributeValue(attribute: AttributeProto): number | number[] | string {
  const kind = onnx.AttributeProto.AttributeType;
  switch (attribute.type) {
    case kind.INT:
      return num(attribute.i);
    case kind.FLOAT:
      return attribute.f ?? 0;
    case kind.INTS:
      return (attribute.ints ?? []).map(num);
    case kind.FLOATS:
      return [...(attribute.floats ?? [])];
    case kind.STRING:
      return new TextDecoder().decode(attribute.s ?? new Uint8Array());
    default:
      throw new Error(`Attribute ${attribute.name}: type ${attribute.type} is not one the converter writes.`);
  }
}

/** A model proto (built in memory, or decoded from an .onnx file) as the cost counter's plain view. */
export function graphView(model: ModelProto): GraphView {
  const graph = model.graph;
  if (!graph) throw new Error("The model has no graph.");
  const initializers = new Map<string, ViewInitializer>();
  for (const tensor of graph.initializer ?? []) {
    const name = tensor.name ?? "";
    const type = elementType(tensor.dataType, `Initializer ${name}`);
    const dims = (tensor.dims ?? []).map(num);
    const count = dims.reduce((a, b) => a * b, 1);
    const raw = tensor.rawData ?? new Uint8Array();
    initializers.set(name, {
      type,
      dims,
      bytes: count * ELEMENT_BYTES[type],
      values: initializerValues(type, raw, count),
    });
  }
  const value = (info: ValueInfoProto): ViewValue => {
    const tensorType = info.type?.tensorType;
    const shape = (tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : num(d.dimValue)));
    return { name: info.name ?? "", type: elementType(tensorType?.elemType, `Value ${info.name}`), shape };
  };
  const nodes = (graph.node ?? []).map((node) => ({
    name: node.name ?? "",
    opType: node.opType ?? "",
    domain: node.domain ?? "",
    inputs: [...(node.input ?? [])],
    outputs: [...(node.output ?? [])],
    attributes: Object.fromEntries((node.attribute ?? []).map((a) => [a.name ?? "", attributeValue(a)])),
  }));
  return {
    name: graph.name ?? "",
    nodes,
    initializers,
    inputs: (graph.input ?? []).map(value),
    outputs: (graph.output ?? []).map(value),
  };
}

/** Decodes an .onnx file's bytes (weights stay in their external data; only their sizes are read). */
export function graphViewOfBytes(bytes: Uint8Array): GraphView {
  return graphView(onnx.ModelProto.decode(bytes));
}
