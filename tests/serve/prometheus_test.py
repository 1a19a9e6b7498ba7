#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A real Prometheus scrapes `mlcarbon serve` every second for a few seconds;
rate(mlcarbon_energy_joules_total[...]) and every query of the Grafana
dashboard (packaging/grafana-dashboard.json, the one source) return
non-empty, consistent results."""
import json
import math
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_util as su  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Grafana fills these in; the test gives windows that hold several scrapes.
GRAFANA_VARS = {"$__rate_interval": "4s", "$__range": "30s"}


def dashboard_queries():
    with open(os.path.join(ROOT, "packaging", "grafana-dashboard.json")) as f:
        dash = json.load(f)
    out = []
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for var, value in GRAFANA_VARS.items():
                expr = expr.replace(var, value)
            out.append((panel["title"], expr))
    return out


def main():
    prometheus = su.need("prometheus")
    work = su.tempdir()
    cgroups = os.path.join(work, "cgroup")
    advance = su.fixture_cgroups(cgroups)
    serve, url = su.start_serve(work, "--interval", "200ms", "--region", "DE",
                                "--cgroup-root", cgroups)
    port = su.free_port()
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mlcarbon
    static_configs:
      - targets: ['{url.removeprefix("http://")}']
""")
    log = open(os.path.join(work, "prometheus.log"), "w")
    prom = su.spawn([prometheus, f"--config.file={work}/prometheus.yml",
                     f"--storage.tsdb.path={work}/data",
                     f"--web.listen-address=127.0.0.1:{port}"],
                    stdout=log, stderr=log, cwd=work)
    api = f"http://127.0.0.1:{port}/api/v1"

    def query(expr, at=None):
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        q = urllib.parse.urlencode(params)
        status, body = su.get(f"{api}/query?{q}")
        data = json.loads(body)
        if data.get("status") != "success":
            raise AssertionError(f"{expr}: {body}")
        return data["data"]["result"]

    # Scrape for a while, the job and the container using CPU meanwhile.
    deadline = time.time() + 25
    up = False
    started = None
    while time.time() < deadline:
        advance(150_000_000, 50_000_000)
        time.sleep(0.25)
        if prom.poll() is not None:
            sys.exit(f"prometheus exited {prom.returncode}; see {work}/prometheus.log")
        try:
            up = any(r["value"][1] == "1" for r in query('up{job="mlcarbon"}'))
        except OSError:
            continue
        if up and started is None:
            started = time.time()
        if started is not None and time.time() - started > 7:
            break
    if not up:
        sys.exit("prometheus never scraped the exporter")

    failures = []
    rates = query('rate(mlcarbon_energy_joules_total[4s])')
    print(f"rate(mlcarbon_energy_joules_total[4s]): {len(rates)} series")
    if not rates:
        failures.append("rate(mlcarbon_energy_joules_total[4s]) is empty")
    for r in rates:
        v = float(r["value"][1])
        if not (v >= 0 and math.isfinite(v)):
            failures.append(f"rate {r['metric']} = {v}")
    for title, expr in dashboard_queries():
        result = query(expr)
        print(f"{title}: {len(result)} series, first {result[:1]}")
        if not result:
            failures.append(f"dashboard panel '{title}': empty result for {expr}")

    # Consistency at one scrape (every query evaluated at the same instant):
    # CO2e = node energy x PUE x intensity.
    at = time.time() - 0.5

    def value(expr):
        return float(query(expr, at)[0]["value"][1])
    node = value('sum(mlcarbon_energy_joules_total{nested="false"})')
    co2e = value("sum(mlcarbon_co2e_grams_total)")
    ef = value("max(mlcarbon_carbon_intensity_grams_per_kwh)")
    pue = value("max(mlcarbon_pue)")
    print(f"node {node:.3f} J, CO2e {co2e:.6f} g, {ef} g/kWh, PUE {pue}")
    if node <= 0:
        failures.append(f"node energy {node} J after several seconds")
    if not math.isclose(co2e, node * pue * ef / 3.6e6, rel_tol=1e-6):
        failures.append(f"CO2e {co2e} g != {node} J x {pue} x {ef} g/kWh")
    # The cgroup series, (other) and (unattributed) included, sum to the
    # node's energy: none exceeds it, none is lost.
    cg = value("sum(mlcarbon_cgroup_energy_joules_total)")
    if not math.isclose(cg, node, rel_tol=1e-9, abs_tol=1e-9):
        failures.append(f"cgroup series sum to {cg} J, the node used {node} J")
    job = query('mlcarbon_cgroup_energy_joules_total{job_id="42"}', at)
    if not job or float(job[0]["value"][1]) <= 0 or job[0]["metric"].get("user") != "root":
        failures.append(f"job 42 has no energy, or no user: {job}")
    print(f"cgroup series sum {cg:.3f} J of the node's {node:.3f} J; job 42: {job[:1]}")
    # rate() of the node's counters agrees with the exporter's power gauge.
    power = value('sum(avg_over_time(mlcarbon_power_watts{nested="false"}[4s]))')
    rate = value('sum(rate(mlcarbon_energy_joules_total{nested="false"}[4s]))')
    print(f"power gauge {power:.2f} W, rate of energy {rate:.2f} W")
    if power > 0 and not (0.5 * power <= rate <= 2 * power):
        failures.append(f"rate {rate} W and power {power} W disagree")

    status = su.stop(serve)
    if status != 0:
        failures.append(f"mlcarbon serve exited {status} on SIGTERM")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        with open(os.path.join(work, "serve.log")) as f:
            print(f.read())
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
