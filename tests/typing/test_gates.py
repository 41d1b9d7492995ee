"""The repository's own gates, as tests: ``mypy --strict src``, basedpyright strict on ``src`` (configured in
``pyproject.toml``, ``[tool.basedpyright]``), ``ruff format --check`` and ``ruff check`` on every Python tree.

Each runs the tool from the test environment (the ``test`` extra pins them) in a subprocess at the repository
root, and fails with the tool's own report."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON_TREES = ["src", "tests", "benchmarks", "tools", "examples"]


def _tool(name: str) -> list[str]:
    """The tool installed beside this interpreter (a venv's ``bin``), else ``python -m name``."""
    exe = Path(sys.executable).with_name(name)
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    return [found] if found else [sys.executable, "-m", name]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=540)


def _report(r: subprocess.CompletedProcess[str]) -> str:
    return r.stdout[-8000:] + r.stderr[-2000:]


@pytest.mark.slow
def test_mypy_strict_src(tmp_path: Path) -> None:
    r = _run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy"), "src"])
    assert r.returncode == 0, _report(r)
    assert r.stdout.startswith("Success: no issues found in "), _report(r)


@pytest.mark.slow
def test_basedpyright_strict_src() -> None:
    # --pythonpath: resolve imports (msgspec, pyarrow, the stubs) in this interpreter's environment, not in
    # whichever python is first on PATH
    r = _run([*_tool("basedpyright"), "--pythonpath", sys.executable])
    assert r.returncode == 0, _report(r)
    assert "0 errors, 0 warnings" in r.stdout, _report(r)


def test_ruff_format() -> None:
    r = _run([*_tool("ruff"), "format", "--check", *PYTHON_TREES])
    assert r.returncode == 0, _report(r)


def test_ruff_check() -> None:
    r = _run([*_tool("ruff"), "check", *PYTHON_TREES])
    assert r.returncode == 0, _report(r)
    assert "All checks passed!" in r.stdout, _report(r)
