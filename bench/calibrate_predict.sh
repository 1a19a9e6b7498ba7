#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Calibrate a model in a few seconds, predict a whole training run from the
# calibration with `mlcarbon estimate`, then run that training under the
# meter and compare: energy, time, and what the calibration cost.
#
#   bench/calibrate_predict.sh [BUILD_DIR]     (default build/dev)
#   MODEL, SAMPLES, EPOCHS, BATCH, THREADS, BUDGET (0.3s), TRIALS (3)
#   override the defaults.
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
budget=${BUDGET:-0.3s}
trials=${TRIALS:-3}

[[ -x $bin ]] || { echo "no mlcarbon at $bin: build first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache

now() { date +%s.%N; }

echo "model $model, $epochs epochs x $samples samples, batch $batch, $threads thread(s), calibration budget $budget, $trials trial(s)"
cat >"$work/scenario.yaml" <<YAML
name: calibrate-predict bench
carbon_intensity_g_per_kwh: 100
pue: 1.0
training:
  samples: $samples
  epochs: $epochs
  calibration: calibration.json
YAML

# Each trial: calibrate, estimate from the calibration, train. Trials show
# how much the figures move between runs on this machine.
for trial in $(seq 1 "$trials"); do
  t0=$(now)
  "$bin" calibrate "$model" --batch "$batch" --threads "$threads" \
    --budget "$budget" --no-cache --quiet --json "$work/calibration.json"
  t1=$(now)
  "$bin" estimate "$work/scenario.yaml" --json "$work/estimate.json" \
    >/dev/null 2>&1
  t2=$(now)
  "$bin" train "$model" --samples "$samples" --epochs "$epochs" \
    --batch "$batch" --threads "$threads" --quiet --json "$work/training.json"
  t3=$(now)
  for f in calibration estimate training; do
    cp "$work/$f.json" "$work/$f-$trial.json"
  done
  echo "$t0 $t1 $t2 $t3" >"$work/times-$trial"
done

/usr/bin/python3 - "$work" "$trials" "$samples" "$epochs" <<'PY'
import json, statistics, sys
work, trials, samples, epochs = sys.argv[1:]
trials, samples, epochs = int(trials), int(samples), int(epochs)
rows = []
for t in range(1, trials + 1):
    cal = json.load(open(f"{work}/calibration-{t}.json"))
    est = json.load(open(f"{work}/estimate-{t}.json"))
    tr = json.load(open(f"{work}/training-{t}.json"))
    t0, t1, t2, t3 = map(float, open(f"{work}/times-{t}").read().split())
    loop = tr["training_loop"]
    r = dict(
        i=cal["energy_per_inference_j"]["value"], theta=cal["theta"],
        us=cal["training"]["seconds_per_sample"]["mean"] * 1e6,
        cal_s=cal["duration_s"], cal_proc=t1 - t0,
        pred_j=est["phases"]["training"]["device_energy_j"],
        pred_s=epochs * samples * cal["training"]["seconds_per_sample"]["mean"],
        meas_j=loop["energy_j"], meas_s=loop["loop_seconds"],
        run_j=tr["run"]["energy_j"], run_s=tr["run"]["seconds"],
        load=tr["run"]["engine_load_seconds"], train_proc=t3 - t2,
        method=cal["method"], loop_method=loop["method"],
        sensors=", ".join(s["name"] for s in cal["context"]["sensors"]))
    r["e_ratio"] = r["pred_j"] / r["meas_j"]
    r["t_ratio"] = r["pred_s"] / r["meas_s"]
    r["share"] = 100 * r["cal_s"] / r["meas_s"]
    r["share_proc"] = 100 * r["cal_proc"] / r["train_proc"]
    rows.append(r)
    print(f"trial {t}: calibration I = {r['i']:.4g} J/sample, theta = {r['theta']:.3f}, "
          f"{r['us']:.1f} us/training sample, {r['cal_s']:.2f} s "
          f"({r['cal_proc']:.2f} s as a process) [{r['method']}; {r['sensors']}]")
    print(f"         predicted {r['pred_j']:.4g} J, {r['pred_s']:.2f} s; "
          f"measured loop {r['meas_j']:.4g} J, {r['meas_s']:.2f} s [{r['loop_method']}]; "
          f"whole run {r['run_j']:.4g} J, {r['run_s']:.2f} s + engine load {r['load']:.2f} s")
    print(f"         ratio energy {r['e_ratio']:.3f}, time {r['t_ratio']:.3f}; "
          f"calibration {r['share']:.1f} % of the loop's time "
          f"({r['share_proc']:.1f} % process vs process)")
med = lambda k: statistics.median(r[k] for r in rows)
print(f"median of {trials}: energy ratio {med('e_ratio'):.3f}, time ratio {med('t_ratio'):.3f} "
      f"(predicted / measured training loop; goal 0.9-1.1); calibration "
      f"{med('share'):.1f} % of the training loop's time, {med('share_proc'):.1f} % "
      f"process vs process (goal < 5 %)")
PY
