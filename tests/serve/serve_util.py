# SPDX-License-Identifier: Apache-2.0
"""Starts `mlcarbon serve` (and other servers) on loopback for the server
tests, in a temporary folder, and stops them on every exit path."""
import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77  # CTest's SKIP_RETURN_CODE for these tests


def need(binary):
    """The path of `binary`; exits with SKIP when it is absent, unless CI is
    set (then its absence is a failure)."""
    path = shutil.which(binary)
    if path:
        return path
    if os.environ.get("CI"):
        sys.exit(f"{binary} is not installed (scripts/install-deps.sh installs it)")
    print(f"skipped: {binary} is not installed")
    sys.exit(SKIP)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_children = []


def _stop_all():
    for proc in reversed(_children):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


atexit.register(_stop_all)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, lambda signum, frame: sys.exit(128 + signum))


def spawn(args, **kwargs):
    proc = subprocess.Popen(args, **kwargs)
    _children.append(proc)
    return proc


def tempdir():
    d = tempfile.mkdtemp(prefix="mlcarbon-serve-")
    atexit.register(shutil.rmtree, d, True)
    return d


def start_serve(workdir, *extra):
    """Starts mlcarbon serve on a free loopback port; returns (proc, url)."""
    binary = os.path.abspath(os.environ.get("MLCARBON_BIN") or need("mlcarbon"))
    if not os.path.exists(binary):
        need(binary)
    log = open(os.path.join(workdir, "serve.log"), "w+")
    proc = spawn([binary, "serve", "--listen", "127.0.0.1:0", *extra],
                 stdout=log, stderr=log, cwd=workdir)
    deadline = time.time() + 15
    while time.time() < deadline:
        log.seek(0)
        m = re.search(r"listening on (http://[^ ]+)/metrics", log.read())
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            log.seek(0)
            sys.exit(f"mlcarbon serve exited {proc.returncode}:\n{log.read()}")
        time.sleep(0.05)
    sys.exit("mlcarbon serve did not start in 15 s")


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def status_of(url, method, data=None):
    """The HTTP status of one request (4xx and 5xx included)."""
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def stop(proc, timeout=10):
    """SIGTERM, and the exit status (the exporter must stop cleanly)."""
    proc.terminate()
    return proc.wait(timeout=timeout)


def fixture_cgroups(root):
    """A hybrid cgroup tree (v1 cpuacct beside an empty unified one, like
    this VM) holding a Slurm job and a docker container; returns a function
    that adds CPU time to both."""
    acct = os.path.join(root, "cpu,cpuacct")
    os.makedirs(os.path.join(root, "unified"), exist_ok=True)
    job = os.path.join(acct, "slurm", "uid_0", "job_42")
    container = os.path.join(acct, "docker", "c0ffee" * 4)
    for d in (os.path.join(job, "step_0"), container):
        os.makedirs(d, exist_ok=True)
    usage = {job: 0, container: 0}

    def advance(ns_job, ns_container):
        usage[job] += ns_job
        usage[container] += ns_container
        for d, v in usage.items():
            tmp = os.path.join(d, "cpuacct.usage.tmp")
            with open(tmp, "w") as f:
                f.write(f"{v}\n")
            os.replace(tmp, os.path.join(d, "cpuacct.usage"))
    with open(os.path.join(acct, "cpuacct.usage"), "w") as f:
        f.write("0\n")
    advance(0, 0)
    return advance
