#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package mlcarbon needs to build, test and run.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libfmt-dev libexpected-dev libhowardhinnant-date-dev nlohmann-json3-dev
  libcli11-dev libyaml-cpp-dev
  libsqlite3-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-format tzdata python3 python3-pytest
  # CSV tests read CodeCarbon's emissions.csv and ours with pandas.
  python3-pandas
  # The Python module: pybind11 extension, installed with Debian's pip and
  # setuptools (pip install --no-build-isolation .).
  pybind11-dev python3-dev python3-setuptools python3-pip python3-wheel
  # libFuzzer targets (preset fuzz, scripts/fuzz.sh)
  clang-14 libclang-rt-14-dev
  # models: ONNX import; engine: LibTorch with an optimised BLAS (the
  # reference BLAS is 10x slower, docs/engine.md), zlib for .gz IDX files;
  # tests compare against PyTorch and build ONNX files from Python.
  libonnx-dev libtorch-dev libopenblas0-pthread zlib1g-dev
  python3-torch python3-onnx dataset-fashion-mnist
  # Plots of the docs (docs/img/*.gp, e.g. the CPU curves of docs/models.md).
  gnuplot-nox
  # serve: HTTP server library; the server tests run a real Prometheus and wrk.
  libcpp-httplib-dev prometheus wrk
  # The history in PostgreSQL (libpq); the server and a single-node Slurm
  # with munge run in the tests (label server), configured by each test.
  libpq-dev postgresql slurmctld slurmd slurm-client munge
  # The report test opens the HTML reports in headless Chromium over the
  # DevTools protocol.
  chromium python3-websocket
  # mlcarbon experiment draws its figures (SVG, PNG) with gnuplot.
  gnuplot-nox
  # systemd-analyze verifies packaging/mlcarbon-serve.service (Debian's
  # init is systemd already; in a container installing it starts nothing).
  systemd
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
