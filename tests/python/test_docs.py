# SPDX-License-Identifier: Apache-2.0
"""Every ```python example of docs/python.md runs as written."""
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "python.md"


def examples():
    text = DOC.read_text()
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_page_has_examples():
    assert len(examples()) >= 6


@pytest.mark.parametrize("index", range(len(examples())))
def test_example_runs(index, tmp_path, child_env):
    code = examples()[index]
    if "import torch" in code:
        pytest.importorskip("torch")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=child_env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"docs/python.md example {index + 1}:\n{code}\n{proc.stderr}"
