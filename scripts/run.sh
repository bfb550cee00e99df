#!/usr/bin/env bash
# The main job: installs missing packages, builds (CPU backend, plus CUDA when nvcc
# exists), then runs the `quick` study end to end on the CPU (render, pretrain, scratch +
# finetune sweeps, frozen layers, linear evaluation, report).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
"$ROOT/scripts/setup.sh"
cuda=OFF
if have_nvcc; then cuda=ON; fi
dir="$ROOT/build/main"
echo "=== build (SS_WITH_CUDA=$cuda) ==="
configure_build "$dir" "$cuda"
cd "$ROOT"
exec "$dir/experiments/selfstudy" study --preset quick "$@"
