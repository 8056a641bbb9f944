#!/usr/bin/env bash
# The WebGPU backend on a real GPU (a Linux machine with an NVIDIA GPU): GEMM GFLOPS and the Nature
# CNN's PPO step on webgpu against PyTorch CUDA in the same run (float32, TF32 off and on), and
# Breakout PPO agent steps/s with the envs in worker threads on all cores. Writes
# bench/results/webgpu.json (bench/webgpu.bench.ts: what each figure is).
#
# Needs: Node >= 20 and npm; a Vulkan loader (Debian/Ubuntu: libvulkan1) and the GPU's Vulkan driver
# (NVIDIA's driver ships it; in a container NVIDIA_DRIVER_CAPABILITIES must include graphics);
# Breakout's ROM in PPO_TS_ROM_DIR or ../shared/roms. Optional: python3 with a CUDA build of PyTorch
# (PYTHON=... to pick one) for the comparison. Installs this checkout's dependencies and the
# optional `webgpu` package (Google's Dawn) when missing.
#   bash bench/gpu.sh [--quick]
# Breakout trains 50k agent steps on each device from one seed (one env per core): the speed, and
# return curves to compare (bench/results/webgpu.json's breakoutCurves).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci
node -e 'import("webgpu")' 2>/dev/null || npm install --no-save webgpu@0.6.2
[ -f src/nn/kernels/build/kernels_shared.wasm ] || npm run build

if command -v vulkaninfo >/dev/null; then
  vulkaninfo --summary 2>/dev/null | grep -E "deviceName|driverName" || echo "vulkaninfo lists no GPU"
else
  echo "(vulkaninfo not found: apt-get install vulkan-tools to list the Vulkan devices)"
fi
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; fi

cores=$(nproc)
# The GPU through the `webgpu` package only (no fallback to a software adapter), envs on every core.
exec npx tsx bench/run.ts --only webgpu --adapter node --compare-pytorch --vector-mode async \
  --num-envs "$cores" --breakout-steps 50000 "$@"
