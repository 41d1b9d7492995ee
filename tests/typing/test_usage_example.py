"""``if r.usage is not None: bill(r.usage.input_tokens, r.usage.output_tokens)`` with ``bill(int, int)``, on
the full model and on a view: the example runs, and mypy --strict and basedpyright (strict) accept it."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).with_name("usage_example.py")


def test_usage_example_runs() -> None:
    """Its asserts hold: the good line is billed (12, 3) by each form, the invalid usage raises and is skipped."""
    ns = runpy.run_path(str(EXAMPLE), run_name="usage_example")
    assert ns["billed"] == [(12, 3), (12, 3), (12, 3)]


@pytest.mark.slow
def test_mypy_strict_accepts_the_usage_example(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(EXAMPLE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert r.returncode == 0 and "Success: no issues found in 1 source file" in r.stdout, r.stdout[-6000:]


@pytest.mark.slow
def test_basedpyright_strict_accepts_the_usage_example(tmp_path: Path) -> None:
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11"}))
    exe = Path(sys.executable).with_name("basedpyright")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "basedpyright"]
    r = subprocess.run(
        [*cmd, "-p", str(config), "--pythonpath", sys.executable, str(EXAMPLE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert r.returncode == 0 and "0 errors" in r.stdout, r.stdout[-6000:]
