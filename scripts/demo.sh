#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is needed, builds mlcarbon and runs its main jobs on the
# examples: what this machine can measure, the life-cycle estimate of a
# scenario, and a measured command. Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)"
mlcarbon=./build/dev/src/cli/mlcarbon
echo "\$ mlcarbon sensors"
"$mlcarbon" sensors
echo
echo "\$ mlcarbon estimate examples/small_model_serving.yaml"
"$mlcarbon" estimate examples/small_model_serving.yaml
echo
echo "\$ mlcarbon measure --region DE --no-history -- sh -c '<2 s busy loop>'"
"$mlcarbon" measure --region DE --no-history -- \
  sh -c 'end=$(($(date +%s) + 2)); while [ "$(date +%s)" -lt "$end" ]; do :; done'
