#!/usr/bin/env bash
# The one command for a GPU lease (the device tool's `run`), after benchmarks/gpu_bundle.sh
# has built build/gpu-bundle.tar.xz here:
#
#   run(command="bash benchmarks/gpu_device_run.sh", carry=["build/gpu-bundle.tar.xz"],
#       timeout_s=600)
#
# It runs benchmarks/gpu_check.sh on the prebuilt bundle and leaves in $OUT what the tool
# brings back (at most 8 files): summary.md, summary.txt, gpu.txt and gpu_check.tar.gz
# with every log and JSON file (gpu_check_partial.tar.gz instead when the run was cut off).
# Unpack that under benchmarks/results/<gpu>-<date>/.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${OUT:?OUT must name the folder the results go to}"
WORK=/tmp/gpu_check
export GPU_CHECK_BUNDLE="${GPU_CHECK_BUNDLE:-$ROOT/build/gpu-bundle.tar.xz}"
export GPU_CHECK_TAR="$DEST/gpu_check.tar.gz"
export GPU_CHECK_BUDGET_S="${GPU_CHECK_BUDGET_S:-540}"  # GPU_CHECK_QUICK=1 with ~330 for a first look
[[ -f "$GPU_CHECK_BUNDLE" ]] || { echo "no bundle at $GPU_CHECK_BUNDLE (run benchmarks/gpu_bundle.sh and carry it)"; exit 1; }
rm -rf "$WORK"  # a warm machine's earlier run must not pass for this one's
mkdir -p "$WORK"
# gpu_check.sh in its own session, so that a step which never returns (nvidia-smi on a wedged
# driver, a kernel in D state that SIGKILL cannot end) still leaves a summary and the tarball.
setsid bash "$ROOT/benchmarks/gpu_check.sh" "$WORK" >"$WORK/gpu_check.out" 2>&1 &
pid=$!
# the wrapper ended by a time limit (SIGTERM) takes its session with it: an orphaned check
# would share the GPU with a rerun on the same warm machine
trap 'pkill -KILL -s "$pid" 2>/dev/null' EXIT
trap 'exit 143' TERM INT
deadline=$((SECONDS + GPU_CHECK_BUDGET_S + 30))
copy_summaries() { for f in summary.md summary.txt gpu.txt; do [[ -f "$WORK/$f" ]] && cp "$WORK/$f" "$DEST/"; done; }
pack() { tar -czf "$1" -C "$(dirname "$WORK")" "$(basename "$WORK")"; }
# Every 30 s a snapshot goes to $DEST: if the lease ends first (a slow machine start leaves
# less than the budget), the tool still brings back what was done.
snapshot() {
  copy_summaries
  pack "$DEST/.partial.tar.gz" 2>/dev/null && mv "$DEST/.partial.tar.gz" "$DEST/gpu_check_partial.tar.gz"
}
next_snap=$((SECONDS + 30))
while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
  sleep 1
  ((SECONDS >= next_snap)) && { snapshot; next_snap=$((SECONDS + 30)); }
done
if kill -0 "$pid" 2>/dev/null; then
  pkill -KILL -s "$pid" 2>/dev/null
  echo "gpu_check_deadline 124 $((GPU_CHECK_BUDGET_S + 30))" >>"$WORK/summary.txt"
  timeout 20 python3 "$ROOT/benchmarks/make_table.py" "$WORK" 2>>"$WORK/make_table.err"
  pack "$GPU_CHECK_TAR"
fi
tail -c 11000 "$WORK/gpu_check.out"
copy_summaries
[[ -s "$GPU_CHECK_TAR" ]] && rm -f "$DEST/gpu_check_partial.tar.gz"
exit 0
