#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a tracked C++ file is not clang-formatted, or a text file has
# trailing whitespace or lacks a final newline.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(git ls-files '*.h' '*.cc' '*.hpp' '*.cpp')
if ((${#sources[@]})); then
  clang-format --dry-run -Werror "${sources[@]}"
fi
status=0
while IFS= read -r f; do
  [ -s "$f" ] || continue
  if grep -nE '[[:space:]]+$' "$f" >/dev/null && [[ "$f" != *.md ]]; then
    echo "trailing whitespace: $f"; status=1
  fi
  if [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
    echo "no final newline: $f"; status=1
  fi
done < <(git ls-files | grep -vE '^(LICENSE|tests/fixtures/|tests/fuzz/(corpus|regressions)/)' | grep -vE '\.(png|svg|db|bin|onnx)$')
exit $status
