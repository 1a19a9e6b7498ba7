#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""wrk sends 10,000 requests to `mlcarbon serve` on loopback: no errors, the
p99 latency printed, and the exporter's memory stays flat."""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_util as su  # noqa: E402

REQUESTS = 10_000
# Allowed RSS growth over the 10,000 requests after a warm-up: allocator
# arenas of the worker threads settle in the warm-up; a leak of even 1 KiB
# per request would show as ~10 MiB.
MAX_GROWTH_KIB = 2048

# wrk has no request count: its one thread stops at the count and leaves a
# file, on which the test interrupts wrk (it then reports, as on Ctrl-C);
# done() prints the figures as JSON.
SCRIPT = """
local wanted = tonumber(os.getenv("WRK_REQUESTS"))
local seen = 0
response = function(status, headers, body)
  seen = seen + 1
  if seen == wanted then
    local f = io.open(os.getenv("WRK_DONE"), "w")
    f:write("done")
    f:close()
    wrk.thread:stop()
  end
end
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"max_us": %d}\\n',
    summary.requests, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def run_wrk(wrk, url, script, requests):
    marker = script + ".done"
    if os.path.exists(marker):
        os.remove(marker)
    env = dict(os.environ, WRK_REQUESTS=str(requests), WRK_DONE=marker)
    proc = su.spawn([wrk, "-t1", "-c4", "-d60s", "--timeout", "5s", "-s", script,
                     f"{url}/metrics"],
                    env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while not os.path.exists(marker) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=30)[0]
    m = re.search(r"^\{.*\}$", out, re.M)
    if not m:
        sys.exit(f"no figures from wrk:\n{out}")
    return json.loads(m.group(0))


def main():
    wrk = su.need("wrk")
    work = su.tempdir()
    script = os.path.join(work, "count.lua")
    with open(script, "w") as f:
        f.write(SCRIPT)
    serve, url = su.start_serve(work, "--interval", "200ms", "--no-cgroups")
    status, body = su.get(f"{url}/metrics")
    assert status == 200 and "mlcarbon_energy_joules_total" in body, body[:200]
    assert su.get(f"{url}/healthz") == (200, "ok\n")
    # Two paths only, GET only, small bodies only.
    for method, path, data, want in [("GET", "/", None, 404),
                                     ("GET", "/metrics/x", None, 404),
                                     ("POST", "/metrics", b"x", 405),
                                     ("DELETE", "/healthz", None, 405),
                                     ("POST", "/metrics", b"x" * 100_000, 413)]:
        got = su.status_of(f"{url}{path}", method, data)
        assert got == want, f"{method} {path}: {got}, expected {want}"

    warm = run_wrk(wrk, url, script, 1000)
    before = su.rss_kib(serve.pid)
    figures = run_wrk(wrk, url, script, REQUESTS)
    after = su.rss_kib(serve.pid)
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    print(f"wrk: {figures['requests']} requests, {errors} errors, "
          f"p50 {figures['p50_us'] / 1000:.2f} ms, p99 {figures['p99_us'] / 1000:.2f} ms, "
          f"max {figures['max_us'] / 1000:.2f} ms (warm-up {warm['requests']})")
    print(f"exporter RSS: {before} KiB before, {after} KiB after "
          f"({after - before:+d} KiB; bound {MAX_GROWTH_KIB} KiB)")
    failures = []
    if figures["requests"] < REQUESTS:
        failures.append(f"only {figures['requests']} requests of {REQUESTS}")
    if errors:
        failures.append(f"{errors} errors: {figures}")
    if after - before > MAX_GROWTH_KIB:
        failures.append(f"RSS grew by {after - before} KiB")
    code = su.stop(serve)
    if code != 0:
        failures.append(f"mlcarbon serve exited {code} on SIGTERM")
    if failures:
        sys.exit("FAILED: " + "; ".join(failures))
    print("ok")


if __name__ == "__main__":
    main()
