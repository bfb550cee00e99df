#!/usr/bin/env bash
# Installs the Debian packages selfstudy needs, only those missing. Idempotent; safe to
# run from CI (root, no stdin) or as a user with sudo.
set -euo pipefail

PKGS=(build-essential cmake ninja-build ccache pkg-config git
      doctest-dev libopenblas-dev libopenblas-openmp-dev libdnnl-dev libhdf5-dev libpng-dev
      nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libfmt-dev
      gnuplot-nox python3 python3-numpy)
# Optional extras (PyTorch side-by-side benchmarks / fixture regeneration), only on request.
if [[ "${SS_WITH_TORCH:-0}" == "1" ]]; then PKGS+=(python3-torch python3-h5py); fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

if [[ -x /usr/local/cuda/bin/nvcc ]] || command -v nvcc >/dev/null 2>&1; then
  echo "setup: nvcc found; the CUDA backend will be built"
else
  echo "setup: no nvcc; building the CPU backend only"
fi
