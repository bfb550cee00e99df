#!/usr/bin/env bash
# One-shot GPU check for a short GPU lease: build the CUDA backend, then, most important
# first: the training-step numbers of the GPU performance issue (ours fp32 + AMP vs PyTorch
# eager fp32, eager AMP channels_last and torch.compile; ResNet9 @64 b512, ResNet50 @128
# b96), the parity test, compute-sanitizer memcheck + racecheck on the CUDA tests, a
# profile of ResNet9 training steps, the full ctest suite, bench_ops and bench_pretrain on
# CUDA; finally OUTDIR/summary.md (benchmarks/make_table.py) with the goals met or not.
#
#   benchmarks/gpu_check.sh [OUTDIR]      (run from the repository root, or anywhere;
#                                          default OUTDIR: benchmarks/results/<gpu>-<date>)
#
# Every step runs under `timeout` and a failing step never stops the script: each step's
# exit code and duration are appended to OUTDIR/summary.txt as it finishes, and
# summary.md is written right after the first numbers and again at the end, so a run that
# is cut short still leaves everything it got. The total is kept under GPU_CHECK_BUDGET_S
# (default 540 s) by shrinking or skipping the later steps.
#
# GPU_CHECK_QUICK picks a shorter plan for short leases: 1 (first look at a backend that never
# ran: parity, short benchmarks, memcheck), perf (where the step's time goes: cuDNN algorithm
# choices, ncu profiles of ours, torch.profiler of PyTorch's), final (closing check: parity,
# training numbers, profiles, memcheck, the whole suite). Unset: the full run below.
#
# Environment: SS_CUDA_ARCH (default 90: H100/H200), JOBS (default nproc),
#              GPU_CHECK_BUDGET_S, PYTHON (interpreter with torch; default: auto-detect),
#              GPU_CHECK_TAR (also pack OUTDIR into this .tar.gz at the end),
#              GPU_CHECK_BUILD (build folder; default build/gpu),
#              GPU_CHECK_BUNDLE (a build made elsewhere by benchmarks/gpu_bundle.sh, for GPU
#              machines without our Debian libraries: unpacked instead of building).
# Files in OUTDIR: summary.md summary.txt gpu.txt setup.log configure.log build_core.log
#   build_all.log train_resnet9.jsonl train_resnet50.jsonl torch_compile_resnet9.jsonl
#   torch_compile_resnet50.jsonl parity.log sanitizer_memcheck.log sanitizer_racecheck.log
#   profile.log (+ nsys_*.csv / nsys_stats.txt, or ncu_step.csv) ctest.log
#   bench_ops_cuda.jsonl bench_pretrain_cuda.jsonl bench_ops_cpu.jsonl
#   (and *.err with each JSON step's stderr).
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-}"
if [[ -z "$OUT" ]]; then
  # benchmarks/results/<gpu>-<date>/ (results/README.md); never over an earlier run
  gpu_slug=$(timeout 20 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 |
    tr '[:upper:]' '[:lower:]' | sed -e 's/nvidia//' -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')
  OUT="$ROOT/benchmarks/results/${gpu_slug:-nogpu}-$(date -u +%F)"
  [[ -e "$OUT" ]] && OUT="$OUT-$(date -u +%H%M%S)"
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$ROOT" || exit 1

START=$(date +%s)
BUDGET="${GPU_CHECK_BUDGET_S:-540}"
ARCH="${SS_CUDA_ARCH:-90}"
JOBS="${JOBS:-$(nproc)}"
BUILD="${GPU_CHECK_BUILD:-$ROOT/build/gpu}"
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

# A step in the background (CPU-only work such as compiling, overlapped with GPU steps
# that are not timed); bg_wait records it like step does.
bg_start() {
  local max="$2" log="$3" left
  BG_NAME="$1" BG_PID=""
  shift 3
  left=$(remaining)
  if ((left < 15)); then
    echo "$BG_NAME skip 0" >>"$SUMMARY"
    return 0
  fi
  ((max > left - 5)) && max=$((left - 5))
  echo "== $BG_NAME in the background (limit ${max}s)" >&2
  BG_T0=$(date +%s)
  BG_RC="$log.rc"
  (timeout -k 10 "$max" nice -n 10 "$@" >"$log" 2>&1; echo $? >"$BG_RC") &
  BG_PID=$!
}
bg_wait() {
  [[ -n "${BG_PID:-}" ]] || return 0
  wait "$BG_PID"
  echo "$BG_NAME $(cat "$BG_RC" 2>/dev/null || echo '?') $(($(date +%s) - BG_T0))" >>"$SUMMARY"
  rm -f "$BG_RC"
  BG_PID=""
}

# ---- machine facts ----
{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(hostname)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "gpu_name: $(timeout 20 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
  echo "--- nvidia-smi -L"
  timeout 20 nvidia-smi -L 2>&1
  echo "--- nvidia-smi"
  timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit,compute_cap \
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
  [[ "$PY" != none ]] && timeout 60 "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "cudnn", torch.backends.cudnn.version(), "compile", hasattr(torch, "compile"))' 2>&1
  # torch.compile's Triton builds a launcher with a C compiler and Python.h
  echo "--- C compiler for Triton: $(command -v cc gcc 2>/dev/null | tr '\n' ' ')"
  [[ "$PY" != none ]] && timeout 30 "$PY" -c 'import os, sysconfig; h = os.path.join(sysconfig.get_paths()["include"], "Python.h"); print("Python.h", h, "present" if os.path.exists(h) else "MISSING")' 2>&1
} >>"$OUT/gpu.txt"
# The table needs only the standard library: any python3 will do.
TABLE_PY="$(command -v python3 || echo "$PY")"
table() { "$TABLE_PY" benchmarks/make_table.py "$OUT" >/dev/null 2>>"$OUT/make_table.err"; }

# Directories holding cuBLAS/cuDNN on this machine: PyTorch's pip wheels (where cuDNN
# usually is on GPU images), then the toolkit's.
cuda_lib_dirs() {
  local d dirs=()
  for py in "$PY" python3; do
    [[ "$py" == none ]] && continue
    d=$(timeout 30 "$py" -c 'import importlib, os
out = []
for m in ("nvidia.cudnn", "nvidia.cublas", "nvidia.cu13", "nvidia.cuda_runtime"):
    try:
        for p in importlib.import_module(m).__path__:
            if os.path.isdir(os.path.join(p, "lib")): out.append(os.path.join(p, "lib"))
    except Exception:
        pass
print(":".join(out))' 2>/dev/null) && [[ -n "$d" ]] && { dirs+=("$d"); break; }
  done
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    [[ -d "$d" ]] && dirs+=("$d")
  done
  (IFS=:; echo "${dirs[*]}")
}

# ---- build: what the first numbers need, then (in the background, later) the rest ----
BUNDLE_TAR="${GPU_CHECK_BUNDLE:-}"
if [[ -n "$BUNDLE_TAR" ]]; then
  # Prebuilt here-and-now impossible (no Debian -dev packages, no network): unpack the
  # bundle at its build-tree layout and point CTest's absolute paths at this checkout.
  BUILD="${GPU_CHECK_BUILD:-/tmp/ss-gpu-bundle}"
  unpack() {
    rm -rf "$BUILD" && mkdir -p "$BUILD" && xz -dc "$BUNDLE_TAR" | tar -C "$BUILD" -xf - || return 1
    local old_build old_root
    old_build=$(sed -n 1p "$BUILD/BUILD_PATHS") old_root=$(sed -n 2p "$BUILD/BUILD_PATHS")
    find "$BUILD" -name '*.cmake' -exec sed -i -e "s|$old_build|$BUILD|g" -e "s|$old_root|$ROOT|g" {} +
    echo "bundle commit $(cat "$BUILD/COMMIT"), needs $(cat "$BUILD/GLIBC_NEEDED"); here: $(ldd --version | head -1)"
  }
  export BUILD BUNDLE_TAR ROOT
  export -f unpack
  step unpack 120 "$OUT/build_core.log" bash -c unpack
  # The binaries' commit (the checkout's HEAD here can be older than the bundle).
  echo "# bundle commit $(cat "$BUILD/COMMIT" 2>/dev/null || echo '?')" >>"$SUMMARY"
  # The bundle's own libraries come through the executables' $ORIGIN rpath; only cuBLAS and
  # cuDNN are taken from this machine (PyTorch's wheel directories first, the versions torch
  # itself loads).
  export LD_LIBRARY_PATH="$(cuda_lib_dirs)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export SS_SOURCE_DIR="$ROOT"
  [[ "$PY" != none ]] && export SS_PYTHON="$PY"  # the image's python3 has numpy/torch
  {
    echo "--- LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    echo "--- ldd bench_train (unresolved libraries would stop every step):"
    ldd "$BUILD/benchmarks/bench_train" 2>&1 | grep -E 'not found|cudnn|cublas|hdf5|openblas'
  } >>"$OUT/gpu.txt" 2>&1
else
  if [[ -x scripts/setup.sh ]]; then
    # short limit: without network (GPU lease machines) apt-get can only fail
    step setup 30 "$OUT/setup.log" scripts/setup.sh
  fi
  step configure 90 "$OUT/configure.log" \
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSS_WITH_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="$ARCH"
  CORE=()
  for t in bench_train test_engine test_data bench_ops bench_pretrain; do
    cmake --build "$BUILD" --target help 2>/dev/null | grep -q "^$t:" && CORE+=("$t")
  done
  step build_core 300 "$OUT/build_core.log" cmake --build "$BUILD" -j "$JOBS" --target "${CORE[@]}"
fi
tail -5 "$OUT/build_core.log" >&2

TRAIN="$BUILD/benchmarks/bench_train"
BENCH="$BUILD/benchmarks/bench_ops"
TEST_ENGINE="$BUILD/tests/test_engine"
TEST_DATA="$BUILD/tests/data/test_data"
R9=resnet9:64:512:1
R50=resnet50:128:96:1
NT=$(nproc)

# CPU<->CUDA parity: the op table, the f16 kernels, NHWC paths, the amp+NHWC model step;
# then the trainer's CUDA-graph run against its eager run.
run_parity() {
  local out rc
  out=$("$TEST_ENGINE" -tc='*parity*,CUDA*' 2>&1)
  rc=$?
  printf '%s\n' "$out"
  # without a usable GPU every CUDA case skips and doctest still says SUCCESS
  grep -q 'no CUDA device' <<<"$out" && { echo "parity: no CUDA device, nothing compared"; return 2; }
  [[ -x "$BUILD/tests/models/test_models" ]] &&
    { "$BUILD/tests/models/test_models" -tc='CUDA*,*parity*' || rc=1; }
  [[ -x "$TEST_DATA" ]] && { "$TEST_DATA" -tc='cuda:*' || rc=1; }
  [[ -x "$BUILD/tests/experiments/test_experiments" ]] &&
    { "$BUILD/tests/experiments/test_experiments" -tc='*cuda_graph on CUDA*' || rc=1; }
  return $rc
}
export TEST_ENGINE TEST_DATA BUILD
export -f run_parity
SAN=""
for c in compute-sanitizer /usr/local/cuda/bin/compute-sanitizer; do
  command -v "$c" >/dev/null 2>&1 && { SAN="$c"; break; }
done
# run_sanitizer TOOL: the small CUDA test groups under compute-sanitizer, smallest first;
# "## <test> rc=N" after each (3 = the tool found errors, other non-zero = the test failed).
# shellcheck disable=SC2317  # run through bash -c under timeout
run_sanitizer() {
  local tool="$1" spec bin tc rc
  for spec in "$TEST_ENGINE|CUDA f16*" "$TEST_ENGINE|CUDA NHWC*" "$TEST_DATA|cuda:*" \
    "$TEST_ENGINE|*parity*" "$TEST_ENGINE|CUDA layout*,CUDA max_pool2d*,CUDA conv backward-data*"; do
    bin="${spec%%|*}" tc="${spec#*|}"
    [[ -x "$bin" ]] || { echo "## $(basename "$bin") -tc='$tc' not built"; continue; }
    echo "#> $(basename "$bin") -tc='$tc'"
    "$SAN" --tool "$tool" --error-exitcode 3 --print-limit 50 "$bin" -tc="$tc"
    rc=$?
    echo "## $(basename "$bin") -tc='$tc' rc=$rc"
  done
}
export SAN TEST_ENGINE TEST_DATA
export -f run_sanitizer
# ---- profile of ResNet9 AMP steps: nsys kernel/NVTX summaries, or ncu kernel times ----
# bench_train --profile brackets the timed steps with cudaProfilerStart/Stop, so both tools
# see only steady-state steps. The .nsys-rep stays in the build folder (large).
# shellcheck disable=SC2317  # run through bash -c under timeout
# run_profile [CASE [NAME]]: CASE default $R9; NAME (default resnet9) names the nsys report,
# and the ncu file is ncu_step.csv for resnet9, else ncu_step_NAME.csv.
run_profile() {
  local case="${1:-$R9}" name="${2:-resnet9}"
  local csv="$OUT/ncu_step.csv"
  [[ "$name" == resnet9 ]] || csv="$OUT/ncu_step_$name.csv"
  local args=(--device cuda --case "$case" --amp --torch none --warmup 3 --profile)
  local nsys="" ncu="" c
  for c in nsys /opt/nvidia/nsight-systems/*/bin/nsys /usr/local/cuda/nsight-systems-*/bin/nsys; do
    command -v "$c" >/dev/null 2>&1 && { nsys="$c"; break; }
  done
  if [[ -n "$nsys" ]]; then
    mkdir -p "$BUILD/profile"
    "$nsys" profile -t cuda,nvtx --sample=none --cpuctxsw=none --capture-range=cudaProfilerApi \
      --capture-range-end=stop -o "$BUILD/profile/${name}_amp" --force-overwrite true \
      "$TRAIN" "${args[@]}" --iters 5
    "$nsys" stats --report cuda_gpu_kern_sum --report nvtx_gpu_proj_sum --format csv \
      --output "$OUT/nsys_$name" "$BUILD/profile/${name}_amp.nsys-rep"
    "$nsys" stats --report cuda_gpu_kern_sum --report nvtx_gpu_proj_sum \
      "$BUILD/profile/${name}_amp.nsys-rep" >"$OUT/nsys_stats_$name.txt" 2>&1
    ls "$OUT"/nsys_"$name"*cuda_gpu_kern_sum*.csv >/dev/null 2>&1 && return 0
    echo "nsys gave no kernel summary; trying ncu"
  fi
  for c in ncu /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu; do
    command -v "$c" >/dev/null 2>&1 && { ncu="$c"; break; }
  done
  [[ -n "$ncu" ]] || { echo "neither nsys nor ncu found"; return 1; }
  # One training step, every kernel's duration at the clocks it would really run at.
  "$ncu" --profile-from-start off --clock-control none --metrics gpu__time_duration.sum \
    --print-units base --csv --page raw --nvtx --log-file "$csv" \
    "$TRAIN" "${args[@]}" --iters 1
}
export TRAIN R9 R50 BUILD OUT
export -f run_profile
# GPU_CHECK_QUICK=1: a first look at a machine where the CUDA backend never ran: the parity
# tests first (they say which kernels are wrong), a short training benchmark, the
# sanitizer, then stop. The full run below is for a backend that already passes.
finish() {
  echo "total - $(($(date +%s) - START))" >>"$SUMMARY"
  table
  [[ -n "${GPU_CHECK_TAR:-}" ]] && tar -czf "$GPU_CHECK_TAR" -C "$(dirname "$OUT")" "$(basename "$OUT")"
  cat "$SUMMARY" >&2
  [[ -s "$OUT/summary.md" ]] && cat "$OUT/summary.md" >&2
  exit 0
}
if [[ "${GPU_CHECK_QUICK:-0}" == 1 ]]; then
  step parity 150 "$OUT/parity.log" bash -c run_parity
  step_json train_resnet9 90 "$OUT/train_resnet9.jsonl" "$TRAIN" --device cuda --case "$R9" \
    --precision-all --torch-modes fp32,amp --torch "$PY" --iters 10 --warmup 3
  step_json train_graph_resnet9 45 "$OUT/train_graph_resnet9.jsonl" \
    "$TRAIN" --device cuda --case "$R9" --amp --cuda-graph --torch none --iters 10 --warmup 3
  [[ -n "$SAN" ]] && step sanitizer_memcheck 120 "$OUT/sanitizer_memcheck.log" bash -c 'run_sanitizer memcheck'
  step_json bench_ops_cuda 60 "$OUT/bench_ops_cuda.jsonl" "$BENCH" --device cuda --torch "$PY"
  step_json train_resnet50 60 "$OUT/train_resnet50.jsonl" "$TRAIN" --device cuda --case "$R50" \
    --precision-all --torch-modes fp32,amp --torch "$PY" --iters 5 --warmup 2
  finish
fi
# GPU_CHECK_QUICK=perf: where the step's time goes. Ours with timed cuDNN algorithm choice
# (the default, as PyTorch's cudnn.benchmark) and with the heuristic, deterministic choice;
# PyTorch's kernels from its profiler and ours from ncu; the parity tests last.
if [[ "${GPU_CHECK_QUICK:-0}" == perf ]]; then
  for c in "resnet9 $R9" "resnet50 $R50"; do
    set -- $c
    SS_CONV_LOG=1 step_json "train_$1" 60 "$OUT/train_$1.jsonl" "$TRAIN" --device cuda \
      --case "$2" --amp --torch-modes amp --torch "$PY" --iters 10 --warmup 3
    step_json "train_heuristic_$1" 40 "$OUT/train_heuristic_$1.jsonl" "$TRAIN" --device cuda \
      --case "$2" --amp --conv-algo heuristic --deterministic --torch none --iters 10 --warmup 3
  done
  step_json train_graph_resnet9 40 "$OUT/train_graph_resnet9.jsonl" \
    "$TRAIN" --device cuda --case "$R9" --amp --cuda-graph --torch none --iters 10 --warmup 3
  table
  step profile 90 "$OUT/profile.log" bash -c run_profile
  step profile_resnet50 90 "$OUT/profile_resnet50.log" bash -c 'run_profile "$R50" resnet50'
  [[ "$PY" != none ]] && step_json torch_profile 60 "$OUT/torch_profile.jsonl" \
    "$PY" benchmarks/torch_train.py --device cuda --threads "$NT" --iters 3 --warmup 3 \
    --modes amp --case "$R9" --case "$R50" --profile "$OUT/torch_kernels"
  step parity 60 "$OUT/parity.log" bash -c run_parity
  finish
fi

# GPU_CHECK_QUICK=final: the closing check of a session's changes in one short lease, most
# important first (the budget cuts from the end): parity, the issue's training numbers
# (ours fp32 + AMP against PyTorch eager fp32 and AMP, 10 timed steps), the graph steps,
# every opt-in switch on trial together (parity, then each model's step), ResNet9's
# torch.compile, each switch alone (SS_ALLOC=heap, the device heap allocator;
# SS_BN_APPLY=rows; SS_BN_REDUCE=rows8; SS_CONV_PAD_C=1; SS_BN_STATS=onepass; SS_BN_CUDNN=1;
# SS_CONV_DGRAD_ACC=1; SS_COPY_SLAB=1; SS_POOL_ARGMAX=1), both profiles (with the switches when they passed), then the whole
# suite beside racecheck and memcheck, and ResNet50's torch.compile.
# step_json_as NAME FROM TO CMD...: step_json (30 s) into $OUT/NAME.jsonl, then its rows'
# mode FROM renamed TO (bench_train names only its own settings in the mode)
step_json_as() {
  local name="$1" from="$2" to="$3"
  shift 3
  step_json "$name" 30 "$OUT/$name.jsonl" "$@"
  [[ -f "$OUT/$name.jsonl" ]] && sed -i "s/\"mode\":\"$from\"/\"mode\":\"$to\"/" "$OUT/$name.jsonl"
}
trial() {  # trial LABEL VAR=VALUE...: parity and both models' AMP step with the switches set
  local label="$1" model case
  shift
  # One switch's parity is implied when every switch passed together: its summary line
  # says "all" instead of an exit code, and the device time goes to the timings. Not for
  # our batch-norm kernels' switches: with SS_BN_CUDNN=1 in "all", cuDNN takes the f16
  # ReLU and identity layers, so only their own parity runs those through our kernels.
  if [[ "$label" != all && ! " bnrows bnreduce onepass " =~ \ $label\  ]] &&
    grep -q '^parity_all 0 ' "$SUMMARY"; then
    echo "parity_$label all 0" >>"$SUMMARY"
  else
    step "parity_$label" 60 "$OUT/parity_$label.log" env "$@" bash -c run_parity
  fi
  for c in "resnet9 $R9" "resnet50 $R50"; do
    read -r model case <<<"$c"
    step_json_as "train_${label}_$model" amp "amp_$label" env "$@" "$TRAIN" \
      --device cuda --case "$case" --amp --torch none --iters 10 --warmup 3
  done
  [[ "$label" == all ]] || return 0
  # the graph steps (ResNet9's best in run 4) with every switch on
  for c in "resnet9 $R9" "resnet50 $R50"; do
    read -r model case <<<"$c"
    step_json_as "train_graph_all_$model" amp_graph amp_graph_all env "$@" "$TRAIN" \
      --device cuda --case "$case" --amp --cuda-graph --torch none --iters 10 --warmup 3
  done
}
if [[ "${GPU_CHECK_QUICK:-0}" == final ]]; then
  step parity 60 "$OUT/parity.log" bash -c run_parity
  for c in "resnet9 $R9" "resnet50 $R50"; do
    set -- $c
    SS_CONV_LOG=1 step_json "train_$1" 60 "$OUT/train_$1.jsonl" "$TRAIN" --device cuda \
      --case "$2" --precision-all --torch-modes fp32,amp --torch "$PY" --iters 10 --warmup 3
  done
  for c in "resnet9 $R9" "resnet50 $R50"; do
    set -- $c
    step_json "train_graph_$1" 30 "$OUT/train_graph_$1.jsonl" \
      "$TRAIN" --device cuda --case "$2" --amp --cuda-graph --torch none --iters 10 --warmup 3
  done
  # the device heap (CUDA VMM) against segments on a step-like allocation pattern
  step_json bench_alloc_cuda 20 "$OUT/bench_alloc_cuda.jsonl" "$BUILD/benchmarks/bench_alloc" \
    --device cuda --batch 96
  TRIALS=(SS_ALLOC=heap SS_BN_APPLY=rows SS_BN_REDUCE=rows8 SS_CONV_PAD_C=1 SS_BN_STATS=onepass
    SS_BN_CUDNN=1 SS_CONV_DGRAD_ACC=1 SS_COPY_SLAB=1 SS_POOL_ARGMAX=1)
  trial all "${TRIALS[@]}"  # first: the best case in case the budget runs out
  # torch.compile: the goal is ResNet9's; ResNet50's (compiling takes longest) comes last.
  [[ "$PY" != none ]] && step_json torch_compile_resnet9 120 "$OUT/torch_compile_resnet9.jsonl" \
    "$PY" benchmarks/torch_train.py --device cuda --threads "$NT" --iters 10 --warmup 5 \
    --modes compile --case "$R9"
  table
  trial heap SS_ALLOC=heap
  trial bnrows SS_BN_APPLY=rows
  trial bnreduce SS_BN_REDUCE=rows8
  trial padc SS_CONV_PAD_C=1
  trial onepass SS_BN_STATS=onepass
  trial bncudnn SS_BN_CUDNN=1
  trial dgradacc SS_CONV_DGRAD_ACC=1
  trial slabcopy SS_COPY_SLAB=1
  trial poolargmax SS_POOL_ARGMAX=1
  table
  # Profiles with every switch on when they passed parity together: what is left after them.
  PROFILE_ENV=()
  grep -q '^parity_all 0 ' "$SUMMARY" && PROFILE_ENV=("${TRIALS[@]}")
  echo "${PROFILE_ENV[*]:-default}" >"$OUT/profile_switches.txt"
  step profile 40 "$OUT/profile.log" env "${PROFILE_ENV[@]}" bash -c run_profile
  step profile_resnet50 40 "$OUT/profile_resnet50.log" env "${PROFILE_ENV[@]}" \
    bash -c 'run_profile "$R50" resnet50'
  # Nothing is timed from here on: the whole suite (mostly CPU tests) runs beside the
  # sanitizers, which keep the GPU nearly idle.
  bg_start ctest 150 "$OUT/ctest.log" ctest --test-dir "$BUILD" --output-on-failure -j 8 --timeout 120
  # The sanitizers with the switches on trial when they passed parity together: their
  # kernels are the new ones (run 4 memchecked the default path: 0 errors).
  if [[ -n "$SAN" ]]; then
    step sanitizer_racecheck 90 "$OUT/sanitizer_racecheck.log" env "${PROFILE_ENV[@]}" \
      bash -c 'run_sanitizer racecheck'
    step sanitizer_memcheck 60 "$OUT/sanitizer_memcheck.log" env "${PROFILE_ENV[@]}" \
      bash -c 'run_sanitizer memcheck'
  fi
  bg_wait
  [[ "$PY" != none ]] && step_json torch_compile_resnet50 120 "$OUT/torch_compile_resnet50.jsonl" \
    "$PY" benchmarks/torch_train.py --device cuda --threads "$NT" --iters 10 --warmup 5 \
    --modes compile --case "$R50"
  finish
fi

# ---- the issue's numbers: ours fp32 + AMP, PyTorch eager fp32 + AMP channels_last ----
# torch.compile runs as its own step: its compile time must not cost the eager numbers.
step_json train_resnet9 120 "$OUT/train_resnet9.jsonl" \
  "$TRAIN" --device cuda --case "$R9" --precision-all --torch-modes fp32,amp --torch "$PY"
step_json train_resnet50 120 "$OUT/train_resnet50.jsonl" \
  "$TRAIN" --device cuda --case "$R50" --precision-all --torch-modes fp32,amp --torch "$PY"
# Ours with the whole step as one CUDA graph (PyTorch numbers come from the lines above).
step_json train_graph_resnet9 90 "$OUT/train_graph_resnet9.jsonl" \
  "$TRAIN" --device cuda --case "$R9" --amp --cuda-graph --torch none
if [[ "$PY" != none ]]; then
  step_json torch_compile_resnet9 150 "$OUT/torch_compile_resnet9.jsonl" \
    "$PY" benchmarks/torch_train.py --device cuda --threads "$NT" --iters 20 --warmup 5 \
    --modes compile --case "$R9"
fi
table

# ---- everything else compiles in the background while the untimed GPU checks run ----
[[ -z "$BUNDLE_TAR" ]] && bg_start build_all 240 "$OUT/build_all.log" cmake --build "$BUILD" -j "$JOBS"

step parity 120 "$OUT/parity.log" bash -c run_parity

if [[ -n "$SAN" ]]; then
  step sanitizer_memcheck 100 "$OUT/sanitizer_memcheck.log" bash -c 'run_sanitizer memcheck'
  step sanitizer_racecheck 100 "$OUT/sanitizer_racecheck.log" bash -c 'run_sanitizer racecheck'
else
  echo "compute-sanitizer not found" >"$OUT/sanitizer_memcheck.log"
  echo "sanitizer skip 0" >>"$SUMMARY"
fi

step profile 90 "$OUT/profile.log" bash -c run_profile

# ---- the full test suite once everything is built ----
bg_wait
step ctest 150 "$OUT/ctest.log" \
  ctest --test-dir "$BUILD" --output-on-failure -j 8 --timeout 120
table

# ---- kernel-level numbers, pretraining steps, the remaining baseline ----
step_json bench_ops_cuda 90 "$OUT/bench_ops_cuda.jsonl" "$BENCH" --device cuda --torch "$PY"
step_json bench_pretrain_cuda 60 "$OUT/bench_pretrain_cuda.jsonl" \
  "$BUILD/benchmarks/bench_pretrain" --device cuda --torch "$PY" --batch 256 --width 1 --iters 10
if [[ "$PY" != none ]]; then
  step_json torch_compile_resnet50 150 "$OUT/torch_compile_resnet50.jsonl" \
    "$PY" benchmarks/torch_train.py --device cuda --threads "$NT" --iters 20 --warmup 5 \
    --modes compile --case "$R50"
fi
step_json bench_ops_cpu 60 "$OUT/bench_ops_cpu.jsonl" "$BENCH" --device cpu --iters 3 --torch "$PY"

finish
