#!/usr/bin/env bash
# GeoZero on a GPU through onnxruntime-node's WebGPU execution provider (Dawn over Vulkan, the kernels Chrome runs):
# makes the checkpoint, converts it with portable and with fused attention, and measures each with the app's own
# generation module against the CPU provider's tokens and logits; then profiles the sessions (dispatches per run, as
# onnxruntime's profiler sees them) beside the cost counter's prediction. Every step writes its JSON to <out>/ at once,
# so a run cut short still returns what it measured.
#
#   bash tools/gpu/full-size.sh [--model 8b|tiny] [--driver nvidia|lavapipe] [--attention portable,fused]
#                               [--no-compare] [--out DIR]
#
# --model 8b (default): the 8B-shaped checkpoint, q4f16; --model tiny: the rehearsal, the tiny model's architecture
# at q4f16 and q4, seconds per step. --driver: nvidia where NVIDIA's Vulkan driver is installed, else lavapipe (Mesa's
# software Vulkan on the CPU; installed here when missing, see tools/gpu/vulkan.sh). --attention: the builds, in the
# order run (default both; on a GPU with minutes left, `fused` alone halves the conversions and measurements).
# --no-compare: no CPU-provider run beside each build (its 16 tokens take minutes for the 8B model on a CPU).
# --out: default $OUT, else gpu-out.
#
# On the device tool's machine (no registry, no Node.js): here first `bash tools/gpu/pack.sh` (Node, node_modules and
# the Vulkan loader into .gpu-carry), then run(command="bash tools/gpu/full-size.sh", carry=[".gpu-carry"]).
set -euo pipefail
cd "$(dirname "$0")/../.."

model=8b
driver=
attentions=portable,fused
compare=(--compare cpu --compare-tokens 16)
out=${OUT:-gpu-out}
usage="Usage: bash tools/gpu/full-size.sh [--model 8b|tiny] [--driver nvidia|lavapipe] [--attention portable,fused] [--no-compare] [--out DIR]"
while [ $# -gt 0 ]; do
  case $1 in
  --model) model=$2; shift 2 ;;
  --driver) driver=$2; shift 2 ;;
  --attention) attentions=$2; shift 2 ;;
  --no-compare) compare=(); shift ;;
  --out) out=$2; shift 2 ;;
  *) echo "Unknown argument $1. $usage" >&2; exit 2 ;;
  esac
done
case $model in
8b) dtypes=(q4f16) large=1024 decode=32 ;;
tiny) dtypes=(q4f16 q4) large=1024 decode=32 ;;
*) echo "Unknown --model $model: 8b or tiny." >&2; exit 2 ;;
esac
IFS=, read -r -a attention_list <<<"$attentions"
for attention in "${attention_list[@]}"; do
  case $attention in portable | fused) ;; *) echo "Unknown --attention $attention: portable, fused or both. $usage" >&2; exit 2 ;; esac
done
mkdir -p "$out"
exec > >(tee "$out/full-size.log") 2>&1

if [ -d .gpu-carry ]; then
  mkdir -p /tmp/node && tar -C /tmp/node -xJf .gpu-carry/node.tar.xz && export PATH=/tmp/node:$PATH
  [ -d node_modules ] || tar -xJf .gpu-carry/node_modules.tar.xz
  [ -d .gl ] || { mkdir -p .gl && cp .gpu-carry/*.deb .gl/ 2>/dev/null || true; }
fi
[ -n "$driver" ] || { [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && driver=nvidia || driver=lavapipe; }
# shellcheck source=tools/gpu/vulkan.sh
source tools/gpu/vulkan.sh
use_vulkan "$driver"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
echo "Node $(node --version), $(nproc) cores, model $model, driver $driver"

step() { echo "== $1: $(date +%T)"; }
work=.cache/gpu
mkdir -p "$work"
step checkpoint
snapshot=$(node --import tsx tools/gpu/checkpoint.ts --model "$model" | tail -1)
dtype_list=$(IFS=,; echo "${dtypes[*]}")
for attention in "${attention_list[@]}"; do
  step "convert $dtype_list ($attention attention)"
  node --import tsx tools/convert/cli.ts "$snapshot" "$work/$model-$attention" --dtype "$dtype_list" \
    --attention "$attention" --vision-attention "$attention" 2>&1 | tail -1
done

status=0
for dtype in "${dtypes[@]}"; do
  for attention in "${attention_list[@]}"; do
    step "measure $dtype, $attention attention${compare[*]:+, against the CPU provider}"
    node --import tsx tools/gpu/measure.ts --folder "$work/$model-$attention" --dtype "$dtype" --device webgpu \
      "${compare[@]}" --large-side "$large" --decode-tokens "$decode" --work "$work" \
      --adapter "$VULKAN_ADAPTER" --out "$out/$model-$attention-$dtype.json" >/dev/null || status=$?
  done
done
step "profile the sessions (dispatches) against the cost counter"
folders=$(for attention in "${attention_list[@]}"; do printf '%s,' "$work/$model-$attention"; done)
node --import tsx tools/gpu/profile.ts --folders "${folders%,}" \
  --dtypes "$dtype_list" --adapter "$VULKAN_ADAPTER" --out "$out/profile-$model.json" || status=$?
step "summary"
node --import tsx tools/gpu/summary.ts "$out" "$model" | tee "$out/summary-$model.txt" || status=$?
step done
exit "$status"
