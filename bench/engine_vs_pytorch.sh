#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The LibTorch engine against PyTorch from Python: MLPs (width x depth) and
# conv nets, training and inference, same data, batch and threads; prints
# the ratios C++/Python and GEMM GFLOP/s against the AVX2 peak.
#   bench/engine_vs_pytorch.sh [--threads N] [--samples N] [--conv-samples N]
# Needs the dev build's driver:
#   cmake --build --preset dev --target mlcarbon_engine_driver
set -euo pipefail
cd "$(dirname "$0")/.."
driver=${MLCARBON_ENGINE_DRIVER:-build/dev/tests/engine/mlcarbon_engine_driver}
if [ ! -x "$driver" ]; then
  echo "engine_vs_pytorch: $driver is missing; build it with" \
       "cmake --build --preset dev --target mlcarbon_engine_driver" >&2
  exit 1
fi
# Debian's torch is importable from /usr/bin/python3 only.
exec /usr/bin/python3 bench/engine_vs_pytorch.py --driver "$driver" "$@"
