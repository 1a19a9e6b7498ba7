#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints how much slower a CPU-bound command runs under `mlcarbon measure`
# than alone: both are timed alternately in the same run, and the ratio of
# their medians is printed. Also times `mlcarbon measure -- true`.
# Usage: bench/measure_overhead.sh [MLCARBON] [RUNS] [INTERVAL]
set -euo pipefail
mlcarbon=${1:-build/ci/src/cli/mlcarbon}
runs=${2:-7}
interval=${3:-1s}
work='i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done'

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

alone=()
measured=()
for _ in $(seq "$runs"); do
  t0=$(now); sh -c "$work"; t1=$(now)
  alone+=("$(calc "$t1 - $t0")")
  t0=$(now)
  "$mlcarbon" measure -q --no-history --interval "$interval" -- sh -c "$work"
  t1=$(now)
  measured+=("$(calc "$t1 - $t0")")
done
a=$(printf '%s\n' "${alone[@]}" | median)
m=$(printf '%s\n' "${measured[@]}" | median)
printf 'alone:    median %.4f s over %d runs\n' "$a" "$runs"
printf 'measured: median %.4f s over %d runs (interval %s)\n' "$m" "$runs" "$interval"
printf 'ratio measured/alone: %.4f (difference %.1f ms: start-up and exit)\n' \
  "$(calc "$m / $a")" "$(calc "($m - $a) * 1000")"

trues=()
for _ in $(seq "$runs"); do
  t0=$(now); "$mlcarbon" measure -q --no-history -- true; t1=$(now)
  trues+=("$(calc "$t1 - $t0")")
done
printf 'mlcarbon measure -- true: median %.1f ms\n' \
  "$(calc "$(printf '%s\n' "${trues[@]}" | median) * 1000")"
