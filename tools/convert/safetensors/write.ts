import { open } from "node:fs/promises";
import { DTYPE_BYTES, type SafetensorsDtype } from "../../../src/convert/safetensors/read.ts";

/** A tensor to write: raw little-endian bytes in `dtype`. */
export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /**
   * Bytes of the tensor, or a function producing them when the writer reaches it (keeps memory flat): all at once or
   * piece by piece, in order.
   */
  data: Uint8Array | (() => Uint8Array | Iterable<Uint8Array>);
}

/** Writes a safetensors file tensor by tensor (header first, then each tensor's bytes in order). */
export async function writeSafetensors(
  path: string,
  tensors: TensorToWrite[],
  metadata: Record<string, string> = { format: "pt" },
  signal?: AbortSignal,
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const tensor of tensors) {
    const bytes = tensor.shape.reduce((product, dim) => product * dim, 1) * DTYPE_BYTES[tensor.dtype];
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let headerText = JSON.stringify(header);
  headerText += " ".repeat((8 - (headerText.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(headerText);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  const handle = await open(path, "w");
  try {
    await handle.write(prefix);
    await handle.write(headerBytes);
    for (const tensor of tensors) {
      signal?.throwIfAborted();
      const data = typeof tensor.data === "function" ? tensor.data() : tensor.data;
      for (const piece of data instanceof Uint8Array ? [data] : data) await handle.write(piece);
    }
  } finally {
    await handle.close();
  }
}

/** Rounds float32 values to bf16 (round to nearest even), as little-endian bytes. */
export function float32ToBf16Bytes(values: Float32Array): Uint8Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const word = words[i];
    out[i] = (word + 0x7fff + ((word >> 16) & 1)) >>> 16;
  }
  return new Uint8Array(out.buffer);
}
