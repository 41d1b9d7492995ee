"""Types that work: the typed example runs, and mypy --strict and pyright (strict) accept it."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import openresponses_msgspec as orm
from openresponses_msgspec import _models

EXAMPLE = Path(__file__).with_name("typing_example.py")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=540)


def test_typed_example_runs() -> None:
    """The example's runtime asserts hold too (its decoded values are real)."""
    runpy.run_path(str(EXAMPLE), run_name="typing_example")


@pytest.mark.slow
def test_mypy_strict_accepts_the_typed_example(tmp_path: Path) -> None:
    r = _run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(EXAMPLE)], tmp_path)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "Success: no issues found in 1 source file" in r.stdout


@pytest.mark.slow
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
    """mypy and pyright read ``__all__`` only in forms they understand: a literal list, extended by
    ``__all__ += _models.__all__`` (the generated model's own literal list). Every public name of the model is in
    it, every name of release 0.1.0 is still there (tools/generator/names_0_1_0.txt), and the API comes first."""
    source = Path(orm.__file__).read_text()
    literal = source.split("__all__ = [", 1)[1].split("]", 1)[0]
    listed = [line.strip().strip('",') for line in literal.splitlines() if line.strip().startswith('"')]
    assert "\n__all__ += _models.__all__" in source
    assert list(orm.__all__) == listed + list(_models.__all__)
    assert len(set(orm.__all__)) == len(orm.__all__)
    model_source = Path(_models.__file__).read_text().split("\n__all__ = [", 1)[1].split("]", 1)[0]
    assert [ln.strip().strip('",') for ln in model_source.splitlines() if ln.strip()] == list(_models.__all__)
    model = {n for n in vars(_models) if not n.startswith("_") and n[0].isupper()} - {
        "Any",
        "Union",
        "ClassVar",
        "Literal",
    }
    assert model == set(_models.__all__)
    names_0_1_0 = Path(__file__).resolve().parents[2] / "tools" / "generator" / "names_0_1_0.txt"
    old = {n for n in names_0_1_0.read_text().splitlines() if n and not n.startswith("#")}
    assert len(old) == 260 and old <= set(orm.__all__), sorted(old - set(orm.__all__))
    assert all(hasattr(orm, n) for n in orm.__all__)
    for name in ("Decoder", "View", "Skipped", "Event", "decode", "decode_lines", "SSEDecoder", "iter_sse"):
        assert name in listed[:40], name  # the API comes first


def test_old_model_names_are_the_classes_that_took_their_place() -> None:
    """Brands spelled OpenRouter, long names shortened, identical shapes merged, maps in UPPER_SNAKE: the 0.1.0
    names are aliases of the same objects."""
    assert orm.OpenrouterBashItem is orm.OpenRouterBashItem
    assert orm.OpenrouterFusionItemAnalysisContradictionsStances is orm.OpenRouterFusionItemStances
    assert orm.ResponseFusionCallAnalysisCompletedEventAnalysisContradictionsStances is orm.OpenRouterFusionItemStances
    assert orm.APPLYPATCHOPERATION_TYPES is orm.APPLY_PATCH_OPERATION_TYPES is orm.FAMILIES["ApplyPatchOperation"]
    assert orm.FAMILIES["OutputItem"]["openrouter:bash"] is orm.OpenRouterBashItem
    names = [n for n in _models.__all__ if isinstance(getattr(_models, n), type)]
    assert max(len(getattr(_models, n).__name__) for n in names) <= 45  # was 69


def test_help_shows_the_api_first() -> None:
    doc = orm.__doc__ or ""
    head = doc[:1500]
    for name in ("decode_lines", "Decoder(", "iter_sse", "View", "Skipped", "encode"):
        assert name in head, name
