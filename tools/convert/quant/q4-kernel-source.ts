import { readFile } from "node:fs/promises";
import wabt from "wabt";

let compiled: Promise<Uint8Array<ArrayBuffer>> | undefined;

/** Assembles q4-kernel.wat into a WebAssembly binary (wabt, once per process; a few tens of milliseconds). */
export function compileQ4Kernel(): Promise<Uint8Array<ArrayBuffer>> {
  compiled ??= (async () => {
    const source = await readFile(new URL("./q4-kernel.wat", import.meta.url), "utf8");
    const module = (await wabt()).parseWat("q4-kernel.wat", source);
    try {
      return Uint8Array.from(module.toBinary({}).buffer);
    } finally {
      module.destroy();
    }
  })();
  return compiled;
}
