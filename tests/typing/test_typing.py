"""Types that work: the typed example runs, and mypy --strict and pyright (strict) accept it."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import openresponses_msgspec as orm
from openresponses_msgspec import _models

EXAMPLE = Path(__file__).with_name("typing_example.py")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=540)


def test_typed_example_runs() -> None:
    """The example's runtime asserts hold too (its decoded values are real)."""
    runpy.run_path(str(EXAMPLE), run_name="typing_example")


def test_mypy_strict_accepts_the_typed_example(tmp_path: Path) -> None:
    r = _run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(EXAMPLE)], tmp_path)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "Success: no issues found in 1 source file" in r.stdout


def test_pyright_strict_accepts_the_typed_example(tmp_path: Path) -> None:
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
    env = dict(os.environ)
    r = subprocess.run(
        [*cmd, "-p", str(config), "--pythonpath", sys.executable, str(EXAMPLE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
        env=env,
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "0 errors" in r.stdout


def test_all_is_literal_and_lists_every_public_name() -> None:
    """mypy and pyright read ``__all__`` only when it is a literal list: the model's names are written out, and
    this checks them against the generated module (regenerate the list when the model changes)."""
    source = (Path(orm.__file__).read_text()).split("__all__ = [", 1)[1].split("]", 1)[0]
    listed = [line.strip().strip('",') for line in source.splitlines() if line.strip().startswith('"')]
    assert listed == list(orm.__all__) and len(set(listed)) == len(listed)
    model = {n for n in vars(_models) if not n.startswith("_") and n[0].isupper()} - {
        "Any",
        "Union",
        "ClassVar",
        "Literal",
    }
    missing = sorted(model - set(listed))
    assert not missing, f"add to __all__ in __init__.py: {missing}"
    assert all(hasattr(orm, n) for n in listed)
    for name in ("Decoder", "View", "Skipped", "Event", "decode", "decode_lines", "SSEDecoder", "iter_sse"):
        assert name in listed[:40], name  # the API comes first


def test_help_shows_the_api_first() -> None:
    doc = orm.__doc__ or ""
    head = doc[:1500]
    for name in ("decode_lines", "Decoder(", "iter_sse", "View", "Skipped", "encode"):
        assert name in head, name
