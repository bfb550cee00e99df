#!/usr/bin/env bash
# The main job: installs missing packages, builds, then runs the `quick` study end to end on the CPU (render, pretrain, scratch +
# finetune sweeps, frozen layers, linear evaluation, report).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
"$ROOT/scripts/setup.sh"
# The quick study runs on the CPU, so the main job builds the CPU backend only (faster);
# SS_WITH_CUDA=ON scripts/run.sh --device cuda builds and uses the CUDA backend.
cuda="${SS_WITH_CUDA:-OFF}"
dir="$ROOT/build/main"
echo "=== build (SS_WITH_CUDA=$cuda) ==="
configure_build "$dir" "$cuda"
cd "$ROOT"
exec "$dir/experiments/selfstudy" study --preset quick "$@"
