#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What tracking costs a Python training script: the same small PyTorch loop
# bare, under mlcarbon.Tracker and (when importable) under CodeCarbon's
# EmissionsTracker, each in a fresh process, alternated RUNS times. Prints
# the medians and ratios of wall time, CPU time and peak RSS, the CPU time
# of the meter's own threads as a share of one core, and what `import
# mlcarbon` plus starting a tracker take in time and memory.
# Usage: bench/python_overhead.sh [PYTHONPATH] [RUNS] [INTERVAL_S] [SECONDS]
#   PYTHONPATH: where mlcarbon is (default build/dev/python)
set -euo pipefail
pythonpath=${1:-build/dev/python}
runs=${2:-5}
interval=${3:-1}
seconds=${4:-4}
python=${PYTHON:-/usr/bin/python3}

driver=$(mktemp --suffix=.py)
trap 'rm -f "$driver"' EXIT
cat >"$driver" <<'EOF'
import json, os, resource, sys, time

mode, interval, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def thread_cpu():
    # Per-thread CPU seconds; schedstat counts nanoseconds where /stat
    # counts 10 ms ticks, too coarse for a meter thread.
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0]) / 1e9
        except OSError:
            pass
    return out

import torch
torch.set_num_threads(1)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(4096, 64), torch.randn(4096, 1)

rss0, threads0 = rss_mb(), set(thread_cpu())
t0 = time.perf_counter()
tracker = None
if mode == "mlcarbon":
    import mlcarbon
    tracker = mlcarbon.Tracker(project="bench", region="DE", db=False, interval=interval)
    tracker.start()
elif mode == "codecarbon":
    from codecarbon import OfflineEmissionsTracker
    tracker = OfflineEmissionsTracker(country_iso_code="DEU", measure_power_secs=interval,
                                      save_to_file=False, log_level="error")
    tracker.start()
startup_ms = (time.perf_counter() - t0) * 1000
added_mb = rss_mb() - rss0
new_threads = set(thread_cpu()) - threads0

wall0, cpu0 = time.perf_counter(), time.process_time()
steps = 0
while time.perf_counter() - wall0 < seconds:
    for i in range(0, 4096, 64):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x[i:i + 64]), y[i:i + 64]).backward()
        opt.step()
        steps += 1
wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
cpu_now = thread_cpu()
meter_cpu = sum(cpu_now.get(t, 0.0) for t in new_threads)
if tracker is not None:
    tracker.stop()
print(json.dumps(dict(wall=wall, cpu=cpu, steps=steps, per_step_us=wall / steps * 1e6,
                      cpu_per_step_us=cpu / steps * 1e6,
                      rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      startup_ms=startup_ms, added_mb=added_mb, meter_cpu=meter_cpu)))
EOF

modes=(bare mlcarbon)
if PYTHONPATH=$pythonpath "$python" -c 'import codecarbon' 2>/dev/null; then
  modes+=(codecarbon)
else
  echo "codecarbon: skipped (not importable by $python; pip install codecarbon to compare)"
fi

results=$(mktemp)
trap 'rm -f "$driver" "$results"' EXIT
for _ in $(seq "$runs"); do
  for mode in "${modes[@]}"; do
    out=$(PYTHONPATH=$pythonpath "$python" "$driver" "$mode" "$interval" "$seconds")
    echo "$mode $out" >>"$results"
  done
done

"$python" - "$results" "$interval" "$seconds" "$runs" <<'EOF'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    mode, doc = line.split(" ", 1)
    rows.setdefault(mode, []).append(json.loads(doc))
interval, seconds, runs = sys.argv[2], sys.argv[3], sys.argv[4]
med = lambda mode, key: statistics.median(r[key] for r in rows[mode])
print(f"loop: {seconds} s of MLP training steps per process, {runs} runs per mode, "
      f"interval {interval} s; medians")
print(f"{'mode':<11} {'us/step':>8} {'cpu us/step':>11} {'peak RSS MB':>11} "
      f"{'start ms':>8} {'added MB':>8} {'meter CPU %core':>15}")
for mode in rows:
    print(f"{mode:<11} {med(mode, 'per_step_us'):8.1f} {med(mode, 'cpu_per_step_us'):11.1f} "
          f"{med(mode, 'rss'):11.1f} {med(mode, 'startup_ms'):8.1f} {med(mode, 'added_mb'):8.1f} "
          f"{100 * med(mode, 'meter_cpu') / float(seconds):15.3f}")
for mode in rows:
    if mode == "bare":
        continue
    print(f"{mode}/bare: wall per step {med(mode, 'per_step_us') / med('bare', 'per_step_us'):.4f}, "
          f"CPU per step {med(mode, 'cpu_per_step_us') / med('bare', 'cpu_per_step_us'):.4f}, "
          f"peak RSS {med(mode, 'rss') / med('bare', 'rss'):.4f}")
EOF
