#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (preset fuzz: clang 14, ASan, UBSan) and runs
# each one for SECONDS (default 20) on a copy of its seed corpus, so the
# tracked corpus under tests/fuzz/corpus/ does not grow unless --grow is
# given. Fails if any target finds a crash, a leak, a timeout or runaway
# memory; the input that did it is left in build/fuzz/artifacts/<target>/.
# Usage: scripts/fuzz.sh [--grow] [SECONDS] [TARGET...]   (docs/fuzzing.md)
set -euo pipefail
cd "$(dirname "$0")/.."
grow=0
if [ "${1:-}" = "--grow" ]; then
  grow=1
  shift
fi
seconds=${1:-20}
shift || true
case "$seconds" in
  '' | *[!0-9]*)
    echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2
    exit 2
    ;;
esac
if (($#)); then
  targets=("$@")
else
  targets=()
  for src in tests/fuzz/*_fuzz.cc; do
    name=$(basename "$src" _fuzz.cc)
    targets+=("$name")
  done
fi

if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" \
  --target "${targets[@]/%/_fuzz}"

build=build/fuzz
work=$(mktemp -d "${TMPDIR:-/tmp}/mlcarbon-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=()
for name in "${targets[@]}"; do
  case "$name" in
    scenario | override) dict=tests/fuzz/dict/scenario.dict ;;
    series) dict=tests/fuzz/dict/series.dict ;;
    model) dict=tests/fuzz/dict/model.dict ;;
    proc | powercap) dict=tests/fuzz/dict/proc.dict ;;
    onnx) dict=tests/fuzz/dict/onnx.dict ;;
    *) dict= ;;
  esac
  corpus=$work/$name
  mkdir -p "$corpus" "$build/artifacts/$name"
  cp tests/fuzz/corpus/"$name"/* "$corpus"/
  # Inputs of past findings run first, as seeds.
  if [ -d tests/fuzz/regressions/"$name" ]; then
    cp tests/fuzz/regressions/"$name"/* "$corpus"/
  fi
  log=$build/artifacts/$name/last.log
  echo "fuzz.sh: $name for ${seconds}s (log: $log)"
  # -timeout: seconds one input may take; -rss_limit_mb also caps a single
  # allocation; -max_len keeps inputs file-sized but lets lists grow.
  if ! "$build/tests/fuzz/${name}_fuzz" "$corpus" \
    ${dict:+-dict="$dict"} \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$name/" >"$log" 2>&1; then
    failed+=("$name")
    echo "fuzz.sh: $name FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
  else
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" |
      sed "s/^/  $name: /" || true
  fi
  if [ "$grow" = 1 ]; then
    # Keep only inputs that add coverage to the tracked corpus.
    "$build/tests/fuzz/${name}_fuzz" -merge=1 tests/fuzz/corpus/"$name" \
      "$corpus" >/dev/null 2>&1
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets ran ${seconds}s each without a finding"
