import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { assembleQ4Kernel, Q4_KERNEL_BINARY } from "./q4-kernel-source.ts";

/** `npm run build-kernel`: assembles q4-kernel.wat into the committed q4-kernel.wasm. */
const binary = await assembleQ4Kernel();
await writeFile(Q4_KERNEL_BINARY, binary);
console.log(`${fileURLToPath(Q4_KERNEL_BINARY)}: ${binary.byteLength} bytes`);
