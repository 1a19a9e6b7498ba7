#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Calibrate a model in a few seconds, predict a whole training run from the
# calibration with `mlcarbon estimate`, then run that training under the
# meter and compare: energy, time, and what the calibration cost.
#
#   bench/calibrate_predict.sh [BUILD_DIR]     (default build/dev)
#   MODEL, SAMPLES, EPOCHS, BATCH, THREADS, BUDGET override the defaults.
#
# Both runs use the same engine settings, meter interval and energy basis
# (the energy attributed to mlcarbon's process). The comparison is of the
# training loop (the "training" window: no LibTorch start-up, no model
# building, no data generation); the whole processes are printed too.
set -euo pipefail

build=${1:-build/dev}
bin=${MLCARBON_BIN:-$build/src/cli/mlcarbon}
model=${MODEL:-mlp:depth=50,width=100,inputs=100}
samples=${SAMPLES:-20000}
epochs=${EPOCHS:-2}
batch=${BATCH:-32}
threads=${THREADS:-1}
budget=${BUDGET:-2s}

[[ -x $bin ]] || { echo "no mlcarbon at $bin: build first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache

now() { date +%s.%N; }

echo "model $model, $epochs epochs x $samples samples, batch $batch, $threads thread(s), calibration budget $budget"
t0=$(now)
"$bin" calibrate "$model" --batch "$batch" --threads "$threads" \
  --budget "$budget" --no-cache --quiet --json "$work/calibration.json"
t1=$(now)

cat >"$work/scenario.yaml" <<YAML
name: calibrate-predict bench
carbon_intensity_g_per_kwh: 100
pue: 1.0
training:
  samples: $samples
  epochs: $epochs
  calibration: calibration.json
YAML
"$bin" estimate "$work/scenario.yaml" --json "$work/estimate.json" >/dev/null

t2=$(now)
"$bin" train "$model" --samples "$samples" --epochs "$epochs" \
  --batch "$batch" --threads "$threads" --quiet --json "$work/training.json"
t3=$(now)

/usr/bin/python3 - "$work" "$t0" "$t1" "$t2" "$t3" "$samples" "$epochs" <<'PY'
import json, sys
work, t0, t1, t2, t3, samples, epochs = sys.argv[1:]
t0, t1, t2, t3 = map(float, (t0, t1, t2, t3))
samples, epochs = int(samples), int(epochs)
cal = json.load(open(f"{work}/calibration.json"))
est = json.load(open(f"{work}/estimate.json"))
tr = json.load(open(f"{work}/training.json"))

i = cal["energy_per_inference_j"]["value"]
theta = cal["theta"]
pred_j = est["phases"]["training"]["device_energy_j"]
pred_s = epochs * samples * cal["training"]["seconds_per_sample"]["mean"]
loop = tr["training_loop"]
meas_j, meas_s = loop["energy_j"], loop["loop_seconds"]
run = tr["run"]
cal_s = cal["duration_s"]

print(f"calibration   I = {i:.4g} J/sample, theta = {theta:.3f}, "
      f"{cal['training']['seconds_per_sample']['mean']*1e6:.1f} us/training sample "
      f"[{cal['method']}; sensors: {', '.join(s['name'] for s in cal['context']['sensors'])}]")
print(f"              took {cal_s:.2f} s in the engine ({t1 - t0:.2f} s as a process, LibTorch start-up included)")
print(f"predicted     {pred_j:.4g} J, {pred_s:.2f} s   (estimate: E*D*I*theta from the calibration)")
print(f"measured      {meas_j:.4g} J, {meas_s:.2f} s   (training loop window, {loop['method']})")
print(f"ratio         energy {pred_j / meas_j:.3f}, time {pred_s / meas_s:.3f}   (predicted / measured; goal 0.9-1.1)")
print(f"whole run     {run['energy_j']:.4g} J in {run['seconds']:.2f} s "
      f"(+ engine load {run['engine_load_seconds']:.2f} s; process {t3 - t2:.2f} s)")
print(f"calibration   {100 * cal_s / meas_s:.1f} % of the training loop's time "
      f"({100 * (t1 - t0) / (t3 - t2):.1f} % process vs process; goal < 5 %)")
PY
