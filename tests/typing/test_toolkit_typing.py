"""The toolkit's annotations hold for a user's code: the typed example runs, and mypy --strict and basedpyright
(strict) accept it."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).with_name("typing_toolkit_example.py")


def test_example_runs() -> None:
    runpy.run_path(str(EXAMPLE), run_name="typing_toolkit_example")


@pytest.mark.slow
def test_mypy_strict(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "c"), str(EXAMPLE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "Success: no issues found in 1 source file" in r.stdout


@pytest.mark.slow
def test_basedpyright_strict(tmp_path: Path) -> None:
    config = tmp_path / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "reportUnnecessaryTypeIgnoreComment": "error",
                "enableTypeIgnoreComments": False,  # the `# pyright: ignore[...]` comments must match errors
                "pythonVersion": "3.11",
            }
        )
    )
    exe = Path(sys.executable).with_name("basedpyright")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "basedpyright"]
    r = subprocess.run(
        [*cmd, "-p", str(config), "--pythonpath", sys.executable, str(EXAMPLE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 errors" in r.stdout
