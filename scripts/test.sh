#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is needed, builds with the `ci` preset (warnings are errors)
# and runs the whole test suite except tests that need real hardware (label
# hw), runs each fuzz target for a few seconds, checks formatting, then
# builds and runs the suite again under AddressSanitizer and UBSan.
# Usage: scripts/test.sh [--quick]   (--quick skips the sanitizer pass).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
scripts/install-deps.sh
jobs=$(nproc)
cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"
# Every fuzz target for a few seconds on its seeds (docs/fuzzing.md).
scripts/fuzz.sh 5
scripts/check-format.sh
if [ "$quick" = 0 ]; then
  cmake --preset asan
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs"
fi
