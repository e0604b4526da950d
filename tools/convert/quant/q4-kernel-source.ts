import { readFile } from "node:fs/promises";
import { Q4_KERNEL_URL } from "../../../src/convert/quant/quantizer.ts";

const TEXT = new URL("../../../src/convert/quant/q4-kernel.wat", import.meta.url);
/** The kernel's binary, assembled from q4-kernel.wat by `npm run build-kernel` (a test checks they match). */
export const Q4_KERNEL_BINARY = Q4_KERNEL_URL;

let loaded: Promise<Uint8Array<ArrayBuffer>> | undefined;

/** The kernel's WebAssembly binary (read once per process). */
export function loadQ4Kernel(): Promise<Uint8Array<ArrayBuffer>> {
  loaded ??= readFile(Q4_KERNEL_BINARY).then((bytes) => Uint8Array.from(bytes));
  return loaded;
}

/**
 * Assembles q4-kernel.wat with wabt. Only `npm run build-kernel` and the test that holds the committed binary to the
 * text need it: loading wabt takes about 0.2 s, which the converter's start-up does without.
 */
export async function assembleQ4Kernel(): Promise<Uint8Array<ArrayBuffer>> {
  const { default: wabt } = await import("wabt");
  const module = (await wabt()).parseWat("q4-kernel.wat", await readFile(TEXT, "utf8"));
  try {
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
