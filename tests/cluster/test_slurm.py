# SPDX-License-Identifier: Apache-2.0
"""A real single-node Slurm runs a two-task job whose tasks run under
`mlcarbon measure` and record into a real PostgreSQL history; `history
--job` sums both tasks and counts the node's energy once."""
import json

from conftest import run

# Each task keeps a CPU busy for about a second.
TASK = ("exec \"$MLCARBON_BIN\" measure -q --interval 200ms --db \"$DB\" "
        "--json \"$OUT/run-$SLURM_PROCID.json\" -- "
        "sh -c 'end=$(($(date +%s)+1)); while [ $(date +%s) -le $end ]; "
        "do :; done'")


def test_two_tasks_on_one_node_count_the_node_once(mlcarbon, postgres,
                                                   slurm, tmp_path):
    db = postgres.create_db("slurm")
    env = dict(slurm.env, MLCARBON_BIN=mlcarbon, DB=db, OUT=str(tmp_path),
               XDG_DATA_HOME=str(tmp_path / "xdg"), NO_COLOR="1")

    job = run(["srun", "-n2", "-N1", "--overcommit", "--time=2",
               "--job-name=mlcarbon-test", "sh", "-c", TASK], env, timeout=90)
    assert job.returncode == 0, job.stdout + job.stderr

    runs = [json.loads((tmp_path / f"run-{rank}.json").read_text())
            for rank in (0, 1)]
    tasks = [r["context"]["slurm"] for r in runs]
    job_id = tasks[0]["job_id"]
    assert job_id and tasks[1]["job_id"] == job_id
    assert sorted(t["proc_id"] for t in tasks) == [0, 1]
    assert [t["node_id"] for t in tasks] == [0, 0]
    assert {t["node"] for t in tasks} == {slurm.node}

    proc = run([mlcarbon, "history", "--db", db, "--job", job_id, "--json"],
               env)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    totals = listed["job"]
    assert totals["runs"] == 2 and listed["total"]["runs"] == 2
    assert {r["slurm"]["proc_id"] for r in listed["runs"]} == {0, 1}
    # Each rank's own process tree, summed.
    attributed = sum(r["energy"]["attributed_j"] for r in runs)
    assert abs(totals["attributed_energy_j"] - attributed) <= 1e-6 * max(
        1.0, attributed)
    # The node's machine energy once, not once per rank.
    machine = [r["energy"]["total_j"] for r in runs]
    assert len(totals["nodes"]) == 1
    assert totals["nodes"][0]["node"] == slurm.node
    assert totals["nodes"][0]["runs"] == 2
    # Both tasks ran at the same time: the node counts about one run's
    # energy (the union of the intervals, at the mean power), not two.
    assert min(machine) > 0
    assert 0.8 * min(machine) <= totals["node_energy_j"] < 0.75 * sum(machine)
    assert attributed <= sum(machine) * 1.001

    text = run([mlcarbon, "history", "--db", db, "--job", job_id], env)
    assert text.returncode == 0, text.stderr
    assert f"job {job_id}: 2 runs on 1 node" in text.stdout
    missing = run([mlcarbon, "history", "--db", db, "--job", "999999"], env)
    assert missing.returncode != 0 and "no run of job 999999" in missing.stderr
