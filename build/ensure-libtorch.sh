#!/usr/bin/env bash
# Makes sure the native build's prerequisites are present: libtorch's CMake config
# (Debian: libtorch-dev), cmake, g++ and an OpenMP OpenBLAS (libopenblas0-openmp).
# Installs only what is missing, via apt-get, when it can (root + apt); otherwise it
# prints the exact command to run and fails, so the build stops with that message.
# A libtorch elsewhere (e.g. a CUDA build) is accepted through Torch_DIR or CMAKE_PREFIX_PATH.
set -euo pipefail

missing=()
torch_config=/usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake
if [[ -n "${Torch_DIR:-}" && -f "${Torch_DIR}/TorchConfig.cmake" ]]; then
  :  # the user points at their own libtorch
elif [[ -n "${CMAKE_PREFIX_PATH:-}" ]] && compgen -G "${CMAKE_PREFIX_PATH%%:*}/share/cmake/Torch/TorchConfig.cmake" >/dev/null; then
  :
elif [[ ! -f "$torch_config" ]]; then
  missing+=(libtorch-dev)
fi
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
if command -v dpkg-query >/dev/null 2>&1; then
  dpkg-query -W -f='${Status}' libopenblas0-openmp 2>/dev/null | grep -q "install ok installed" || missing+=(libopenblas0-openmp)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

command_line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "error GANDSL001: the native build needs: ${missing[*]}. Install them with:" >&2
  echo "error GANDSL001:   sudo DEBIAN_FRONTEND=noninteractive $command_line" >&2
  echo "error GANDSL001: (or set Torch_DIR to the directory holding TorchConfig.cmake of another libtorch), then build again." >&2
  exit 1
fi

echo "ensure-libtorch: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $command_line; then
  # The package lists may be stale or absent on a fresh machine: refresh once and retry.
  apt-get update
  $command_line
fi
