#!/usr/bin/env bash
# GeoZero at full size on a real GPU, in one run of about ten minutes on the `device` tool's machine (one NVIDIA GPU,
# no registry, no Node.js): builds the 8B-shaped checkpoint, converts it to q4f16 with portable and with fused
# attention, and times the app's generation module on onnxruntime-node's WebGPU execution provider (Dawn over
# Vulkan, as in Chrome), against its CPU provider's tokens. Writes its figures to <out>/ (default $OUT).
#
# Here first: bash tools/gpu/pack.sh (Node and node_modules into .gpu-carry) and the Vulkan loader into .gl as the
# device tool's README says. Then: run(command="bash tools/gpu/full-size.sh", carry=[".gpu-carry", ".gl"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-gpu-out}}
mkdir -p "$out"
exec > >(tee "$out/full-size.log") 2>&1

if [ -d .gpu-carry ]; then
  mkdir -p /tmp/node && tar -C /tmp/node -xJf .gpu-carry/node.tar.xz && export PATH=/tmp/node:$PATH
  tar -xJf .gpu-carry/node_modules.tar.xz
fi
if [ -d .gl ]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
echo "Node $(node --version), $(nproc) cores"

step() { echo "== $1: $(date +%T)"; }
step checkpoint
node --import tsx tools/full-size/cli.ts
step "convert q4f16 (portable attention)"
node --import tsx tools/convert/cli.ts .cache/geozero-8b-shaped-hf .cache/gpu/q4f16 --dtype q4f16
step "convert q4f16 (fused attention)"
node --import tsx tools/convert/cli.ts .cache/geozero-8b-shaped-hf .cache/gpu/q4f16-fused --dtype q4f16 \
  --attention fused --vision-attention fused
# H200: 4.8 TB/s of HBM3e (NVIDIA's figure); this workplace measured 4.3 TB/s device-to-device through PyTorch.
step "measure portable, against the CPU provider's tokens"
node --import tsx tools/gpu/full-size.ts --folder .cache/gpu/q4f16 --device webgpu --compare cpu \
  --bandwidth-gbs 4800 --work .cache/gpu --out "$out/portable.json"
step "measure fused, against the CPU provider's tokens"
node --import tsx tools/gpu/full-size.ts --folder .cache/gpu/q4f16-fused --device webgpu --compare cpu \
  --bandwidth-gbs 4800 --work .cache/gpu --out "$out/fused.json"
step done
