# Sourced by the scripts: puts the CUDA toolkit on PATH when it is installed.
if [[ -d /usr/local/cuda/bin ]]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths inside the checkout are hashed relative to it, so clones share cache entries.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
export CCACHE_NOHASHDIR=1
JOBS="${JOBS:-2}"
have_nvcc() { command -v nvcc >/dev/null 2>&1; }
# configure_build DIR CUDA(ON|OFF)
configure_build() {
  cmake -S "$ROOT" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSS_WITH_CUDA="$2" >/dev/null
  cmake --build "$1" -j "$JOBS"
}
