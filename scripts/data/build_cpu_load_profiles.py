#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Builds data/cpu_load_profiles.csv from codecarbon's CPU load profiling
runs (MIT) and fits the bare-metal CPU power curve to it.

  scripts/data/build_cpu_load_profiles.py SRC_DIR  > data/cpu_load_profiles.csv
  scripts/data/build_cpu_load_profiles.py --fit data/cpu_load_profiles.csv

SRC_DIR is codecarbon's codecarbon/data/hardware/cpu_load_profiling/. The
first row of every run (0 threads) reads 0.2-1.4 W of package power, which
no package draws idle (the run starts its RAPL reading there): those rows are
dropped. --fit prints the curve candidates' mean absolute error per CPU, the
fitted coefficients and the per-CPU energy ratios the band is made of.
"""
import csv
import glob
import os
import sys

# Package TDP of each machine (vendor data sheets): the E5-2620 v3 machine
# has two sockets (24 logical CPUs of a 6-core, 12-thread part).
MACHINES = {
    "AMD_EPYC_8024P_8C": ("AMD EPYC 8024P", "epyc-8024p", 90.0, 1),
    "AMD_Threadripper": ("AMD Ryzen Threadripper 1950X", "tr-1950x", 180.0, 1),
    "E3-1240": ("Intel Xeon E3-1240 V2", "e3-1240v2-a", 69.0, 1),
    "E5-1240": ("Intel Xeon E3-1240 V2", "e3-1240v2-b", 69.0, 1),
    "E5-2620": ("Intel Xeon E5-2620 v3", "e5-2620v3", 85.0, 2),
}
# The profiles cannot place the idle floor (their idle rows are artefacts):
# it is fixed at CodeCarbon's 10 % of TDP and only b and k are fitted.
IDLE_FLOOR = 0.10


def build(src):
    out = csv.writer(sys.stdout, lineterminator="\n")
    print("# CPU load against RAPL package power, five CPUs (six runs), from")
    print("# codecarbon codecarbon/data/hardware/cpu_load_profiling (MIT, (c) 2019")
    print("# Mila et al., (c) 2023 Code Carbon NGO), commit b05965e, measured")
    print("# 2025-01-14. Built by scripts/data/build_cpu_load_profiles.py; see")
    print("# data/SOURCES.md. The 0-thread rows (RAPL start-up artefact) are dropped.")
    out.writerow(["run", "cpu", "load_type", "threads", "cpu_load_pct",
                  "rapl_power_w", "tdp_w", "sockets"])
    for folder in sorted(MACHINES):
        cpu, run, tdp, sockets = MACHINES[folder]
        for path in sorted(glob.glob(os.path.join(src, folder, "*.csv"))):
            for r in csv.DictReader(open(path)):
                load = float(r["cpu_load"])
                if r["task_name"].startswith("Load for 0 threads"):
                    continue
                out.writerow([run, cpu, r["load_type"], r["cores_used"],
                              f"{load:.1f}", f"{float(r['rapl_power']):.3f}",
                              f"{tdp:g}", sockets])


def read(path):
    rows = [l for l in open(path) if not l.startswith("#")]
    runs = {}
    for r in csv.DictReader(rows):
        key = r["run"]
        tdp = float(r["tdp_w"]) * int(r["sockets"])
        runs.setdefault(key, (r["cpu"], tdp, []))[2].append(
            (float(r["cpu_load_pct"]) / 100.0, float(r["rapl_power_w"])))
    return runs


def linear(u):
    return u


def cubic(u):
    return 0.1 + 0.9 * u ** 3


def mae(curve, runs):
    res = {}
    for run, (cpu, tdp, pts) in runs.items():
        err = sum(abs(curve(u) * tdp - p) for u, p in pts) / len(pts)
        mean = sum(p for _, p in pts) / len(pts)
        ratio = mean / (sum(curve(u) * tdp for u, _ in pts) / len(pts))
        res[run] = (err, err / mean, ratio)
    return res


def objective(curve, runs):
    # Every run weighs the same: mean over runs of the relative MAE.
    r = mae(curve, runs)
    return sum(v[1] for v in r.values()) / len(r)


def fit(runs, a=IDLE_FLOOR):
    best = None
    for bi in range(20, 121):
        b = bi * 0.01
        for ki in range(20, 161):
            k = ki * 0.01
            o = objective(lambda u: a + b * u ** k, runs)
            if best is None or o < best[0]:
                best = (o, a, b, k)
    return best


def main():
    if len(sys.argv) == 2:
        build(sys.argv[1])
        return
    runs = read(sys.argv[2])
    o, a, b, k = fit(runs)
    print(f"fitted: a={a:.2f} b={b:.2f} k={k:.2f} mean relative MAE={o:.4f}")
    for name, curve in [("linear", linear), ("cubic", cubic),
                        ("fitted", lambda u: a + b * u ** k)]:
        print(f"== {name}: mean relative MAE {objective(curve, runs):.4f}")
        for run, (err, rel, ratio) in sorted(mae(curve, runs).items()):
            print(f"  {run:12s} MAE {err:6.2f} W  {rel*100:5.1f} %  "
                  f"measured/model energy {ratio:.3f}")


if __name__ == "__main__":
    main()
