#!/usr/bin/env bash
# The full test suite: installs missing packages, then builds and tests both a
# CUDA-enabled build (when nvcc exists; CUDA tests skip themselves without a GPU) and a
# CPU-only build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
"$ROOT/scripts/setup.sh"

configs=()
if have_nvcc; then configs+=("cuda:ON"); else echo "test: no nvcc, skipping the CUDA-enabled build"; fi
configs+=("cpu:OFF")

status=0
for c in "${configs[@]}"; do
  name="${c%%:*}" cuda="${c##*:}"
  dir="$ROOT/build/$name"
  echo "=== build ($name, SS_WITH_CUDA=$cuda) ==="
  configure_build "$dir" "$cuda"
  echo "=== test ($name) ==="
  # Tests run JOBS at a time, so each gets one OpenMP thread (oversubscribed OpenMP threads
  # spin against each other and can run 10x slower).
  OMP_NUM_THREADS=1 ctest --test-dir "$dir" --output-on-failure -j "$JOBS" --timeout 900 || status=1
done
exit $status
