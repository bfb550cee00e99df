#!/usr/bin/env bash
# Builds, here, everything benchmarks/gpu_check.sh runs, and packs it for the GPU machine,
# whose image has CUDA, cuDNN and PyTorch but none of our Debian libraries (HDF5, OpenBLAS,
# fmt, ...) and no network to install them: the executables keep their build-tree layout
# (so gpu_check.sh finds them where a local build would put them, and ctest still works
# after its paths are rewritten) and lib/ holds the shared libraries they need that are not
# part of the GPU image. CUDA's own libraries (cuBLAS, cuDNN) come from the GPU machine.
#
#   benchmarks/gpu_bundle.sh [BUNDLE]     (default BUNDLE: build/gpu-bundle.tar.xz)
#
# Then, on the GPU machine (the device tool's `run`, carrying the bundle):
#   GPU_CHECK_BUNDLE=build/gpu-bundle.tar.xz benchmarks/gpu_check.sh "$OUT"
# Environment: SS_CUDA_ARCH (default 90), JOBS (default 2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
BUNDLE="${1:-$ROOT/build/gpu-bundle.tar.xz}"
BUILD="$ROOT/build/gpu-bundle"
ARCH="${SS_CUDA_ARCH:-90}"

have_nvcc || { echo "gpu_bundle: nvcc not found (the bundle needs the CUDA build)" >&2; exit 1; }
# oneDNN is off: its 40 MB library would crowd the 64 MiB the device tool carries, and the
# GPU check needs the CPU convolutions only as the parity reference (im2col + OpenBLAS).
# The executables find the bundled libraries through an $ORIGIN-relative DT_RPATH (old-style
# tags: it also serves the libraries' own dependencies, and no LD_LIBRARY_PATH is needed, which
# would push our libstdc++/libssl into the GPU image's Python and PyTorch too).
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSS_WITH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$ARCH" -DSS_WITH_DNNL=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--disable-new-dtags" \
  '-DCMAKE_BUILD_RPATH=$ORIGIN/../lib;$ORIGIN/../../lib' >/dev/null
cmake --build "$BUILD" -j "$JOBS"

STAGE="$BUILD/stage"
rm -rf "$STAGE"
mkdir -p "$STAGE/lib"
# Executables and the CTest files, at their build-tree paths.
(cd "$BUILD" && find . -path ./stage -prune -o -path ./CMakeFiles -prune -o -type f \
  \( -perm -u+x -o -name 'CTestTestfile.cmake' -o -name '*_tests-*.cmake' \
  -o -name '*_include-*.cmake' \) -print | grep -v '/CMakeFiles/' |
  while read -r f; do
    case "$f" in *.so | *.a | *.o | *.sh) continue ;; esac
    mkdir -p "$STAGE/$(dirname "$f")"
    cp -p "$f" "$STAGE/$f"
  done)

# Shared libraries the image lacks: everything ldd resolves except the C runtime and CUDA.
skip='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|librt\.|libpthread\.|libcuda\.|libcublas|libcublasLt|libcudnn|libcudart|libnvrtc|libresolv\.)'
find "$STAGE" -type f -perm -u+x ! -name '*.cmake' | while read -r exe; do
  ldd "$exe" 2>/dev/null | awk '/=> \// {print $1, $3}'
done | sort -u | while read -r name path; do
  [[ "$name" =~ $skip ]] && continue
  cp -L "$path" "$STAGE/lib/$name"
done
# The build tree's absolute paths, for gpu_check.sh to rewrite in the CTest files.
printf '%s\n%s\n' "$BUILD" "$ROOT" >"$STAGE/BUILD_PATHS"
git -C "$ROOT" rev-parse HEAD >"$STAGE/COMMIT" 2>/dev/null || echo unknown >"$STAGE/COMMIT"
# Highest glibc symbol version needed: the GPU image's glibc must be at least this.
find "$STAGE" -type f -perm -u+x ! -name '*.cmake' -exec objdump -T {} + 2>/dev/null |
  grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 >"$STAGE/GLIBC_NEEDED"

mkdir -p "$(dirname "$BUNDLE")"
tar -C "$STAGE" -cf - . | xz -T"$JOBS" -6 >"$BUNDLE.tmp"
mv "$BUNDLE.tmp" "$BUNDLE"
echo "gpu_bundle: $BUNDLE $(du -h "$BUNDLE" | cut -f1) ($(find "$STAGE" -type f -perm -u+x ! -name '*.cmake' | wc -l) executables, $(ls "$STAGE/lib" | wc -l) libraries, needs $(cat "$STAGE/GLIBC_NEEDED"))"
