#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is needed, builds with the `ci` preset (warnings are errors)
# and runs the whole test suite except tests that need real hardware (label
# hw), then checks formatting. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"
if [ -d python/tests ] || [ -d tests/python ]; then
  /usr/bin/python3 -m pytest -q tests/python
fi
scripts/check-format.sh
