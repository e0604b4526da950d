/**
 * A minimal .npy (NumPy format 1.0) writer for float32 rows streamed to disk: the header is written with room for
 * the final shape and rewritten when the file is closed, so rows never have to be held in memory.
 */
import { open } from "node:fs/promises";

/** Header bytes reserved (a multiple of 64, as the format asks): enough for any 2-D shape. */
const HEADER_BYTES = 128;
const MAGIC = Uint8Array.from([0x93, ...Buffer.from("NUMPY"), 1, 0]);

function header(shape: number[]): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const length = HEADER_BYTES - MAGIC.length - 2;
  if (dict.length + 1 > length) throw new Error(`shape ${shape.join("×")} does not fit the .npy header`);
  const text = Buffer.from(`${dict.padEnd(length - 1, " ")}\n`, "latin1");
  const size = Buffer.alloc(2);
  size.writeUInt16LE(length);
  return Buffer.concat([MAGIC, size, text]);
}

/** Writes `[rows, width]` float32 rows to `path` as they come. */
export async function openNpyRows(path: string, width: number) {
  const file = await open(path, "w");
  await file.write(header([0, width]), 0, HEADER_BYTES, 0);
  let rows = 0;
  let position = HEADER_BYTES;
  return {
    async append(row: Float32Array): Promise<void> {
      if (row.length !== width) throw new Error(`row of ${row.length} values in a .npy of width ${width}`);
      const bytes = Buffer.from(row.buffer, row.byteOffset, row.byteLength);
      // Claim the place before awaiting, so appends that overlap still land in order.
      const at = position;
      position += bytes.length;
      rows++;
      await file.write(bytes, 0, bytes.length, at);
    },
    async close(): Promise<number> {
      await file.write(header([rows, width]), 0, HEADER_BYTES, 0);
      await file.close();
      return rows;
    },
  };
}

/** Reads a little-endian float32 .npy written in C order. */
export function readNpyFloat32(bytes: Buffer): { shape: number[]; data: Float32Array } {
  if (!bytes.subarray(0, 6).equals(Buffer.from(MAGIC.subarray(0, 6)))) throw new Error("not a .npy file");
  const length = bytes.readUInt16LE(8);
  const text = bytes.subarray(10, 10 + length).toString("latin1");
  if (!text.includes("'descr': '<f4'") || !text.includes("'fortran_order': False"))
    throw new Error(`unsupported .npy header ${text.trim()}`);
  const shape = (/'shape': \(([^)]*)\)/.exec(text)?.[1] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const body = bytes.subarray(10 + length);
  const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return { shape, data };
}
