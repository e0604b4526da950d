import onnxProto from "onnx-proto";
import type { ExternalDataWriter, ExternalLocation } from "./external-data.ts";

const { onnx } = onnxProto;
type Onnx = typeof onnx;
/** Protobuf message shapes used by the builder. */
export type NodeProto = InstanceType<Onnx["NodeProto"]>;
export type TensorProto = InstanceType<Onnx["TensorProto"]>;
export type ValueInfoProto = InstanceType<Onnx["ValueInfoProto"]>;
export type ModelProto = InstanceType<Onnx["ModelProto"]>;

/** Element types the graphs use. */
export type ElementType = "float32" | "float16" | "int64" | "int32" | "uint8" | "bool";

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Bytes per element of each element type. */
export const ELEMENT_BYTES: Record<ElementType, number> = {
  float32: 4,
  float16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

/** The ONNX data type number of an element type (for Cast's `to`). */
export function onnxDataType(type: ElementType): number {
  return DATA_TYPE[type];
}

/** An attribute value: numbers that are integers become INT(S) unless wrapped with `floatAttr`. */
export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] };

/** Marks a number attribute as FLOAT even when it is an integer (e.g. `alpha: 1`). */
export function floatAttr(value: number): { float: number } {
  return { float: value };
}

/** Initializers at most this size stay inside the .onnx file; larger ones go to external data. */
const INLINE_LIMIT_BYTES = 1024;

/**
 * Builds one ONNX graph node by node, writing weights to external data as they are made so that only
 * metadata stays in memory. Node and initializer creation are idempotent by name, so shared constants
 * and repeated subgraphs are emitted once.
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private readonly nodeSignatures = new Map<string, string>();
  private readonly initializerNames = new Set<string>();
  private usesMicrosoftDomain = false;
  /** Bytes of the initializers planned so far (makePlannedInitializer). */
  plannedBytes = 0;
  /**
   * The largest initializer: on WebGPU each becomes one buffer, so it must fit the adapter's `maxBufferSize` (the
   * manifest records it for the app to check before downloading).
   */
  largestInitializer = { name: "", bytes: 0 };

  /**
   * @param name graph name
   * @param weights where large initializers are written (undefined keeps everything inline, for tests)
   * @param floatType element type of activations and float weights in this graph
   */
  constructor(
    readonly name: string,
    private readonly weights: ExternalDataWriter | undefined,
    readonly floatType: "float32" | "float16" = "float32",
  ) {}

  /**
   * Adds a node; adding the same node again (same name, op, inputs and attributes) does nothing, while reusing a
   * name for a different node throws. Outputs are named by the caller.
   */
  makeNode(
    opType: string,
    inputs: string[],
    outputs: string[],
    name: string,
    attributes: Record<string, AttributeValue> = {},
    domain = "",
  ): void {
    const signature = JSON.stringify([opType, inputs, outputs, attributes, domain]);
    const existing = this.nodeSignatures.get(name);
    if (existing === signature) return;
    if (existing !== undefined) {
      throw new Error(
        `Graph ${this.name}: node ${name} already exists with other inputs or attributes; give the new node its own name.`,
      );
    }
    this.nodeSignatures.set(name, signature);
    if (domain === "com.microsoft") this.usesMicrosoftDomain = true;
    const attribute = Object.entries(attributes).map(([key, value]) => makeAttribute(key, value));
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outputs, name, attribute, domain }));
  }

  /** Declares a graph input; string dims are symbolic. */
  makeInput(name: string, type: ElementType, shape: (number | string)[]): string {
    this.inputs.push(makeValue(name, type, shape));
    return name;
  }

  /** Declares a graph output fed by `source` (an Identity renames it when the names differ). */
  makeOutput(name: string, source: string, type: ElementType, shape: (number | string)[]): void {
    if (source !== name) this.makeNode("Identity", [source], [name], `/output/${name}/Identity`);
    this.outputs.push(makeValue(name, type, shape));
  }

  /**
   * Adds an initializer from raw little-endian bytes (copied or written out at once, so the caller may reuse them);
   * idempotent by name. Returns the name.
   */
  makeInitializer(name: string, type: ElementType, dims: number[], bytes: Uint8Array): string {
    if (this.initializerNames.has(name)) return name;
    this.initializerNames.add(name);
    this.noteSize(name, bytes.byteLength);
    if (this.weights === undefined || bytes.byteLength <= INLINE_LIMIT_BYTES) {
      const tensor = onnx.TensorProto.create({ name, dataType: DATA_TYPE[type], dims });
      tensor.rawData = bytes.slice();
      this.initializers.push(tensor);
    } else {
      this.initializers.push(externalTensor(name, type, dims, this.weights.write(bytes)));
    }
    return name;
  }

  /**
   * Adds a large initializer whose bytes `produce` hands over piece by piece (rows of a weight being converted),
   * so the whole tensor is never in memory when external data is on. `produce` may first ask `stepOver` whether the
   * next piece is already written (a resumed conversion), and then not make it.
   */
  async makeStreamedInitializer(
    name: string,
    type: ElementType,
    dims: number[],
    byteLength: number,
    produce: (append: (bytes: Uint8Array) => void, stepOver: (byteLength: number) => boolean) => Promise<void>,
  ): Promise<string> {
    if (this.initializerNames.has(name)) return name;
    if (this.weights === undefined || byteLength <= INLINE_LIMIT_BYTES) {
      const whole = new Uint8Array(byteLength);
      let filled = 0;
      const append = (bytes: Uint8Array) => {
        whole.set(bytes, filled);
        filled += bytes.byteLength;
      };
      await produce(append, () => false);
      return this.makeInitializer(name, type, dims, whole);
    }
    this.initializerNames.add(name);
    this.noteSize(name, byteLength);
    const weights = this.weights;
    const location = weights.begin(byteLength);
    await produce(
      (bytes) => weights.append(bytes),
      (length) => weights.stepOverHeld(length),
    );
    this.initializers.push(externalTensor(name, type, dims, location));
    return name;
  }

  /**
   * Whether initializers of these sizes, made next in this order, would all go to external data that its files
   * already hold (a resumed conversion then plans them instead of reading their weights).
   */
  holdsNext(initializers: { name: string; type: ElementType; dims: number[] }[]): boolean {
    if (this.weights === undefined) return false;
    const lengths: number[] = [];
    for (const { name, type, dims } of initializers) {
      if (this.initializerNames.has(name)) continue;
      const byteLength = dims.reduce((a, b) => a * b, ELEMENT_BYTES[type]);
      if (byteLength <= INLINE_LIMIT_BYTES) return false;
      lengths.push(byteLength);
    }
    return this.weights.holds(lengths);
  }

  /**
   * Adds an initializer of `dims` whose bytes are not made: its place in the external data is reserved as if written
   * (a dry run's planned sizes; small ones stay inline, zero-filled, as real ones would). Returns the name.
   */
  makePlannedInitializer(name: string, type: ElementType, dims: number[]): string {
    if (this.initializerNames.has(name)) return name;
    const byteLength = dims.reduce((a, b) => a * b, ELEMENT_BYTES[type]);
    this.plannedBytes += byteLength;
    if (this.weights === undefined || byteLength <= INLINE_LIMIT_BYTES)
      return this.makeInitializer(name, type, dims, new Uint8Array(byteLength));
    this.initializerNames.add(name);
    this.noteSize(name, byteLength);
    this.initializers.push(externalTensor(name, type, dims, this.weights.reserve(byteLength)));
    return name;
  }

  private noteSize(name: string, bytes: number): void {
    if (bytes > this.largestInitializer.bytes) this.largestInitializer = { name, bytes };
  }

  /** A shared int64 constant, created on first use. */
  int64(values: number[], dims: number[] = [values.length]): string {
    const name = `/constants/INT64/${dims.length === 0 ? "scalar" : ""}[${values.join(",")}]`;
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    return this.makeInitializer(name, "int64", dims, new Uint8Array(data.buffer));
  }

  /** A shared scalar constant of the graph's float type (or `type`), created on first use. */
  float(value: number, type: "float32" | "float16" = this.floatType): string {
    const name = `/constants/${type === "float16" ? "FLOAT16" : "FLOAT"}/${value}`;
    const bytes = type === "float16" ? float32ToFloat16Bytes(new Float32Array([value])) : floatBytes([value]);
    return this.makeInitializer(name, type, [], bytes);
  }

  /** Wraps the graph in a model with opset 17 (+ com.microsoft 1 when used). */
  toModel(): ModelProto {
    const graph = onnx.GraphProto.create({
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
    const opsetImport = [{ domain: "", version: 17 }];
    if (this.usesMicrosoftDomain) opsetImport.push({ domain: "com.microsoft", version: 1 });
    return onnx.ModelProto.create({ irVersion: 8, producerName: "geozero-web convert", opsetImport, graph });
  }

  /** Serialises the model proto (weights stay in the external data files). */
  encode(): Uint8Array {
    return onnx.ModelProto.encode(this.toModel()).finish();
  }
}

/** An initializer whose bytes live in an external data file. */
function externalTensor(name: string, type: ElementType, dims: number[], where: ExternalLocation): TensorProto {
  const tensor = onnx.TensorProto.create({ name, dataType: DATA_TYPE[type], dims });
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [
    { key: "location", value: where.location },
    { key: "offset", value: String(where.offset) },
    { key: "length", value: String(where.length) },
  ];
  return tensor;
}

function makeValue(name: string, type: ElementType, shape: (number | string)[]): ValueInfoProto {
  const dim = shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DATA_TYPE[type], shape: { dim } } } });
}

function makeAttribute(name: string, value: AttributeValue) {
  const type = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") return { name, type: type.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === "number") {
    return Number.isInteger(value) ? { name, type: type.INT, i: value } : { name, type: type.FLOAT, f: value };
  }
  if (Array.isArray(value)) return { name, type: type.INTS, ints: value };
  if ("float" in value) return { name, type: type.FLOAT, f: value.float };
  return { name, type: type.FLOATS, floats: value.floats };
}

/** float32 values as little-endian bytes (a view of a Float32Array's own bytes, not a copy). */
export function floatBytes(values: ArrayLike<number>): Uint8Array {
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  return new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
}

/** Rounds float32 values to IEEE half precision (round to nearest even), as little-endian bytes. */
export function float32ToFloat16Bytes(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalfBits(values[i]);
  return new Uint8Array(out.buffer);
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** One float32 value to half-precision bits, rounding to nearest even, saturating to ±Inf. */
export function floatToHalfBits(value: number): number {
  scratch[0] = value;
  const x = scratchBits[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const rounded = (full >>> shift) + roundBit(full, shift);
    return sign | rounded;
  }
  const rounded = ((halfExponent << 10) | (mantissa >>> 13)) + roundBit(mantissa, 13);
  return sign | rounded;
}

function roundBit(value: number, shift: number): number {
  const half = 1 << (shift - 1);
  const remainder = value & ((1 << shift) - 1);
  if (remainder > half) return 1;
  if (remainder < half) return 0;
  return (value >>> shift) & 1;
}
