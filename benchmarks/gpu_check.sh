#!/usr/bin/env bash
# One-shot GPU check: build the CUDA backend, run the parity test, the full ctest suite,
# compute-sanitizer (if present), bench_ops on CUDA and CPU, and PyTorch's numbers on CUDA.
#
#   benchmarks/gpu_check.sh OUTDIR        (run from the repository root, or anywhere)
#
# Every step runs under `timeout` and a failing step never stops the script: each step's
# exit code and duration are appended to OUTDIR/summary.txt as it finishes, so a run that
# is cut short still leaves everything it got. The total is kept under GPU_CHECK_BUDGET_S
# (default 560 s) by shrinking or skipping the later steps.
#
# Environment: SS_CUDA_ARCH (default 90: H100/H200), JOBS (default nproc),
#              GPU_CHECK_BUDGET_S, PYTHON (interpreter with torch; default: auto-detect).
# Files in OUTDIR: summary.txt gpu.txt setup.log configure.log build.log parity.log
#   ctest.log sanitizer.log bench_ops_cuda.jsonl bench_ops_cpu.jsonl torch_ops_cuda.jsonl
#   torch_ops_cuda_tf32.jsonl (and *.err with each step's stderr where it has one).
set -u
OUT="${1:-gpu_check_out}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

START=$(date +%s)
BUDGET="${GPU_CHECK_BUDGET_S:-560}"
ARCH="${SS_CUDA_ARCH:-90}"
JOBS="${JOBS:-$(nproc)}"
BUILD="$ROOT/build/gpu"
[[ -d /usr/local/cuda/bin ]] && export PATH="/usr/local/cuda/bin:$PATH"
SUMMARY="$OUT/summary.txt"
echo "# gpu_check $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')" >"$SUMMARY"
echo "# step rc seconds (rc 124: timed out, 'skip': not enough budget left)" >>"$SUMMARY"

remaining() { echo $((BUDGET - ($(date +%s) - START))); }

# step NAME MAX_SECONDS LOGFILE CMD...   (stdout+stderr -> LOGFILE)
step() {
  local name="$1" max="$2" log="$3"
  shift 3
  local left t0 rc
  left=$(remaining)
  if ((left < 15)); then
    echo "$name skip 0" >>"$SUMMARY"
    echo "skipped: budget exhausted" >"$log"
    return 0
  fi
  ((max > left - 5)) && max=$((left - 5))
  echo "== $name (limit ${max}s)" >&2
  t0=$(date +%s)
  timeout -k 10 "$max" "$@" >"$log" 2>&1
  rc=$?
  echo "$name $rc $(($(date +%s) - t0))" >>"$SUMMARY"
  return 0
}

# Like step, but stdout -> OUTFILE (JSON lines) and stderr -> OUTFILE.err.
step_json() {
  local name="$1" max="$2" outf="$3"
  shift 3
  local left t0 rc
  left=$(remaining)
  if ((left < 15)); then
    echo "$name skip 0" >>"$SUMMARY"
    return 0
  fi
  ((max > left - 5)) && max=$((left - 5))
  echo "== $name (limit ${max}s)" >&2
  t0=$(date +%s)
  timeout -k 10 "$max" "$@" >"$outf" 2>"${outf%.jsonl}.err"
  rc=$?
  echo "$name $rc $(($(date +%s) - t0))" >>"$SUMMARY"
  return 0
}

# ---- machine facts ----
{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(hostname)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "gpu_name: $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
  echo "--- nvidia-smi -L"
  nvidia-smi -L 2>&1
  echo "--- nvidia-smi"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit,compute_cap \
    --format=csv 2>&1
  echo "--- nvcc"
  nvcc --version 2>&1 | tail -2
  echo "--- cmake: $(cmake --version 2>&1 | head -1)"
  echo "--- cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
} >"$OUT/gpu.txt" 2>&1
echo "gpu_info 0 0" >>"$SUMMARY"

# Python with torch for the side-by-side numbers: prefer one whose torch sees the GPU.
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  for cand in python3 /usr/bin/python3 python; do
    command -v "$cand" >/dev/null 2>&1 || continue
    if timeout 60 "$cand" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
      >/dev/null 2>&1; then PY="$cand"; break; fi
    [[ -z "${PY_CPU:-}" ]] && timeout 60 "$cand" -c 'import torch' >/dev/null 2>&1 && PY_CPU="$cand"
  done
  [[ -z "$PY" ]] && PY="${PY_CPU:-none}"
fi
{
  echo "--- python for torch baseline: $PY"
  [[ "$PY" != none ]] && "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "cudnn", torch.backends.cudnn.version())' 2>&1
} >>"$OUT/gpu.txt"

# ---- build ----
if [[ -x scripts/setup.sh ]]; then
  step setup 120 "$OUT/setup.log" scripts/setup.sh
fi
step configure 120 "$OUT/configure.log" \
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSS_WITH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$ARCH"
step build 330 "$OUT/build.log" cmake --build "$BUILD" -j "$JOBS"
tail -5 "$OUT/build.log" >&2

BENCH="$BUILD/benchmarks/bench_ops"
TEST_ENGINE="$BUILD/tests/test_engine"

# ---- correctness ----
step parity 90 "$OUT/parity.log" "$TEST_ENGINE" -tc='*parity*'
step_json bench_cuda 120 "$OUT/bench_ops_cuda.jsonl" "$BENCH" --device cuda --torch "$PY"
step ctest 200 "$OUT/ctest.log" \
  ctest --test-dir "$BUILD" --output-on-failure -j 8 --timeout 300
SAN=""
for c in compute-sanitizer /usr/local/cuda/bin/compute-sanitizer; do
  command -v "$c" >/dev/null 2>&1 && { SAN="$c"; break; }
done
if [[ -n "$SAN" ]]; then
  step sanitizer 100 "$OUT/sanitizer.log" \
    "$SAN" --tool memcheck --error-exitcode 3 --print-limit 50 "$TEST_ENGINE" -tc='*parity*'
else
  echo "compute-sanitizer not found" >"$OUT/sanitizer.log"
  echo "sanitizer skip 0" >>"$SUMMARY"
fi

# ---- PyTorch alone on CUDA (same table; fp32 and TF32) ----
if [[ "$PY" != none ]]; then
  step_json torch_cuda 60 "$OUT/torch_ops_cuda.jsonl" "$PY" benchmarks/torch_ops.py --device cuda
  step_json torch_cuda_tf32 60 "$OUT/torch_ops_cuda_tf32.jsonl" \
    "$PY" benchmarks/torch_ops.py --device cuda --tf32
fi

# ---- CPU numbers on this box (all cores, short) ----
step_json bench_cpu 150 "$OUT/bench_ops_cpu.jsonl" "$BENCH" --device cpu --iters 3 --torch "$PY"

echo "total - $(($(date +%s) - START))" >>"$SUMMARY"
cat "$SUMMARY" >&2
for f in bench_ops_cuda.jsonl bench_ops_cpu.jsonl; do
  [[ -s "$OUT/$f" ]] && { echo "--- $f summary" >&2; tail -1 "$OUT/$f" >&2; }
done
exit 0
