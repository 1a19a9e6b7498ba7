#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is needed, builds with the `ci` preset (warnings are errors)
# and runs the whole test suite except tests that need real hardware (label
# hw), runs each fuzz target for a few seconds, checks formatting, then
# builds the suite again under AddressSanitizer and UBSan and runs it
# without the tests that start servers (label server). Prints how long each
# step took.
# Usage: scripts/test.sh [--quick]   (--quick skips the sanitizer pass).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)
timings=()
step() {
  local name=$1 start=$SECONDS
  shift
  echo "test.sh: == $name"
  "$@"
  timings+=("$(printf '%-24s %5d s' "$name" $((SECONDS - start)))")
}
report() {
  echo "test.sh: time per step"
  printf '  %s\n' "${timings[@]}"
}
trap report EXIT
step install scripts/install-deps.sh
step configure-ci cmake --preset ci
step build-ci cmake --build --preset ci -j "$jobs"
step test-ci ctest --preset ci -j "$jobs"
# Every fuzz target for a few seconds on its seeds (docs/fuzzing.md).
step fuzz scripts/fuzz.sh 5
step format scripts/check-format.sh
if [ "$quick" = 0 ]; then
  step configure-asan cmake --preset asan
  step build-asan cmake --build --preset asan -j "$jobs"
  step test-asan ctest --preset asan -j "$jobs"
fi
