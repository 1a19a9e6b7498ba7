# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon report`: inputs, outputs and errors, from the command line."""
import json
import pathlib
import subprocess

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "report"


def run(args, env):
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)


def test_every_kind_in_one_page(mlcarbon, env, tmp_path):
    out = tmp_path / "r.html"
    proc = run([mlcarbon, "report", str(FIXTURES / "train_run.json"),
                str(FIXTURES / "estimate.json"), str(FIXTURES / "experiment"),
                "--html", str(out)], env)
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert html.count('<section id="section-') == 3
    assert html.count('<svg class="chart"') == 5
    assert "<script" not in html


def test_history_selection_uses_the_history_flags(mlcarbon, env, tmp_path):
    db = tmp_path / "h.db"
    doc = json.loads((FIXTURES / "train_run.json").read_text())
    for i, tag in enumerate(["train", "eval", "train"]):
        doc["run_id"] = f"00000000-0000-4000-8000-00000000000{i}"
        doc["tags"] = [tag]
        f = tmp_path / f"{i}.json"
        f.write_text(json.dumps(doc))
        assert run([mlcarbon, "history", "--db", str(db), "import", str(f)], env).returncode == 0
    proc = run([mlcarbon, "report", "--history", "--db", str(db), "--tag", "train",
                "--md", "-"], env)
    assert proc.returncode == 0, proc.stderr
    assert "## History: 2 runs" in proc.stdout
    bad = run([mlcarbon, "report", "--history", "--db", str(db), "--since", "soon",
               "--md", "-"], env)
    assert bad.returncode != 0 and "--since expects" in bad.stderr
    none = run([mlcarbon, "report", "--history", "--db", str(db), "--tag", "nope",
                "--md", "-"], env)
    assert none.returncode != 0 and "no recorded run matches tag nope" in none.stderr


def test_bad_inputs_name_the_file_and_what_was_expected(mlcarbon, env, tmp_path):
    other = tmp_path / "sensors.json"
    other.write_text('{"kind": "sensors"}')
    proc = run([mlcarbon, "report", str(other), "--md", "-"], env)
    assert proc.returncode != 0
    assert str(other) in proc.stderr and "expected a run" in proc.stderr
    missing = run([mlcarbon, "report", str(tmp_path / "gone.json"), "--md", "-"], env)
    assert missing.returncode != 0 and "gone.json" in missing.stderr
    nowhere = run([mlcarbon, "report", str(FIXTURES / "train_run.json")], env)
    assert nowhere.returncode != 0 and "--html" in nowhere.stderr
