# SPDX-License-Identifier: Apache-2.0
"""Servers for the cluster tests, each started in a temp dir on loopback and
stopped on every exit path: a PostgreSQL cluster made with initdb, and a
single-node Slurm (slurmctld, slurmd) with its own munged."""
import contextlib
import glob
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from pytest_common import (  # noqa: E402,F401 (fixtures and helpers)
    env, free_port, mlcarbon, require, run, stop)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


# A timeout's SIGTERM unwinds through the fixtures, which stop the servers.
signal.signal(signal.SIGTERM, _interrupt)


class Postgres:
    """A PostgreSQL server of the test's own, trust auth on loopback."""

    def __init__(self, bindir, port, sockets):
        self.bindir = bindir
        self.port = port
        self.sockets = sockets
        self.user = "mlcarbon"

    def uri(self, db):
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{db}"

    def psql(self, db, sql):
        proc = run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                    "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                    str(self.port), "-U", self.user, "-d", db, "-c", sql])
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    def create_db(self, name):
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.uri(name)


def _unprivileged():
    """The user a server runs as: this one, or `nobody` when root (the
    servers refuse to run as root)."""
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam("nobody")


@pytest.fixture(scope="session")
def postgres():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = require(bins[-1] if bins else None, "PostgreSQL (initdb)")
    bindir = os.path.dirname(initdb)
    top = tempfile.mkdtemp(prefix="mlcarbon-pg-")
    user = _unprivileged()
    as_user = {}
    if user is not None:
        os.chown(top, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid,
                   "extra_groups": []}
    server_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                  "HOME": top, "LC_ALL": "C"}
    data = os.path.join(top, "data")
    server = None
    try:
        made = subprocess.run(
            [initdb, "-D", data, "-U", "mlcarbon", "-A", "trust", "-E",
             "UTF8", "--locale=C", "--no-sync"],
            env=server_env, capture_output=True, text=True, timeout=120,
            **as_user)
        assert made.returncode == 0, made.stdout + made.stderr
        port = free_port()
        log = open(os.path.join(top, "server.log"), "w")
        server = subprocess.Popen(
            [os.path.join(bindir, "postgres"), "-D", data, "-p", str(port),
             "-k", top, "-c", "listen_addresses=127.0.0.1", "-c",
             "fsync=off", "-c", "synchronous_commit=off", "-c",
             "full_page_writes=off", "-c", "max_connections=100"],
            env=server_env, stdout=log, stderr=subprocess.STDOUT, **as_user)
        pg = Postgres(bindir, port, top)
        deadline = time.monotonic() + 30
        while True:
            ready = run([os.path.join(bindir, "pg_isready"), "-q", "-h",
                         "127.0.0.1", "-p", str(port)])
            if ready.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("PostgreSQL did not start:\n" +
                            pathlib.Path(top, "server.log").read_text())
            time.sleep(0.1)
        yield pg
    finally:
        if server is not None:
            stop(server, signal.SIGINT)  # fast shutdown
        shutil.rmtree(top, ignore_errors=True)


class Slurm:
    def __init__(self, conf, node, env):
        self.conf = conf
        self.node = node
        self.env = env


@pytest.fixture
def slurm(tmp_path):
    munged = require(shutil.which("munged", path="/usr/sbin:/usr/bin"),
                     "munge (munged)")
    ctld = require(shutil.which("slurmctld", path="/usr/sbin:/usr/bin"),
                   "Slurm (slurmctld)")
    slurmd = require(shutil.which("slurmd", path="/usr/sbin:/usr/bin"),
                     "Slurm (slurmd)")
    require(shutil.which("srun"), "Slurm (srun)")
    if os.geteuid() != 0:
        # slurmd starts each task as its user, which needs root.
        require(None, "root (slurmd starts tasks as their user)")
    top = pathlib.Path(tempfile.mkdtemp(prefix="mlcarbon-slurm-"))
    procs = []
    try:
        key = top / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        sock = top / "munge.socket"
        procs.append(subprocess.Popen(
            [munged, "--foreground", "--force", "--key-file", str(key),
             "--socket", str(sock), "--pid-file", str(top / "munged.pid"),
             "--log-file", str(top / "munged.log"), "--seed-file",
             str(top / "munged.seed")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        node = socket.gethostname().split(".")[0]
        conf = top / "slurm.conf"
        (top / "state").mkdir()
        (top / "spool").mkdir()
        conf.write_text(f"""\
ClusterName=mlcarbontest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
StateSaveLocation={top}/state
SlurmdSpoolDir={top}/spool
SlurmctldPidFile={top}/slurmctld.pid
SlurmdPidFile={top}/slurmd.pid
SlurmctldLogFile={top}/slurmctld.log
SlurmdLogFile={top}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/linear
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SlurmdParameters=config_overrides
ReturnToService=2
ReconfigFlags=KeepPartState
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName={node} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes={node} Default=YES MaxTime=10 State=UP OverSubscribe=FORCE:4
""")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MLCARBON_", "SLURM"))}
        env["SLURM_CONF"] = str(conf)
        deadline = time.monotonic() + 20
        while not sock.exists():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail("munged did not start:\n" +
                            _read(top / "munged.log"))
            time.sleep(0.05)
        procs.append(subprocess.Popen(
            [ctld, "-D", "-i", "-f", str(conf)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(
            [slurmd, "-D", "-f", str(conf), "-N", node], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 40
        while True:
            info = run(["sinfo", "-h", "-N", "-o", "%T"], env=env,
                       timeout=20)
            state = info.stdout.strip()
            if info.returncode == 0 and state.startswith(("idle", "mixed")):
                break
            dead = [p.args[0] for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                pytest.fail(f"Slurm did not come up (state {state!r}, "
                            f"exited: {dead}):\n" +
                            _read(top / "slurmctld.log") +
                            _read(top / "slurmd.log"))
            time.sleep(0.2)
        yield Slurm(conf, node, env)
    finally:
        # slurmd, slurmctld, then munged: the reverse of their start.
        for proc in reversed(procs):
            stop(proc)
        shutil.rmtree(top, ignore_errors=True)


def _read(path):
    with contextlib.suppress(OSError):
        return pathlib.Path(path).read_text()[-4000:]
    return f"({path} unreadable)\n"
