"""The one-way layers (docs/architecture.md) hold: import-linter keeps every contract in pyproject.toml, every
module of the package is placed in the layers, and a reintroduced circle breaks the contracts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import openresponses_msgspec

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = Path(openresponses_msgspec.__file__).parent
LINT = Path(sys.executable).with_name("lint-imports")


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    assert config["root_package"] == "openresponses_msgspec"
    return {c["id"]: c for c in config["contracts"]}


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the package found under ``src`` (the directory holding ``openresponses_msgspec``)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo", str(PYPROJECT)],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _layer_modules(layers: list[str]) -> list[str]:
    names = []
    for layer in layers:
        for part in layer.replace("|", ":").split(":"):
            names.append(part.strip().strip("()"))
    return names


def test_every_contract_is_kept() -> None:
    r = _lint(PACKAGE.parent)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in r.stdout


def test_every_module_of_the_package_has_its_layer() -> None:
    """exhaustive: a new module must be placed (lint-imports fails otherwise); listed once, nothing stale."""
    layers = _contracts()["layers"]
    assert layers["type"] == "layers" and layers["exhaustive"] is True
    assert layers["containers"] == ["openresponses_msgspec"]
    listed = _layer_modules(layers["layers"])
    assert len(listed) == len(set(listed)), "a module is listed in two layers"
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    optional = {p.strip()[1:-1] for layer in layers["layers"] for p in layer.replace("|", ":").split(":") if "(" in p}
    assert modules - set(listed) == set()
    assert set(listed) - modules <= optional, "a module listed in the layers no longer exists"


def test_the_framers_contract_names_every_framer() -> None:
    """Every module placed between the public Decoder and the kernel (a framer or a part of one) is a source
    module of the contract that forbids importing ``_decoder``."""
    layers: list[str] = _contracts()["layers"]["layers"]
    below = layers[layers.index("_decoder") + 1 : layers.index("_kernel")]
    existing = {p.stem for p in PACKAGE.glob("*.py")}
    framers = {m for m in _layer_modules(below) if m in existing}
    assert {"_ndjson", "_array", "_sse"} <= framers
    forbidden = _contracts()["framers"]
    assert {m.rsplit(".", 1)[1] for m in forbidden["source_modules"]} == framers
    assert forbidden["forbidden_modules"] == ["openresponses_msgspec._decoder"]


def test_a_reintroduced_circle_breaks_the_contracts(tmp_path: Path) -> None:
    """The old circle (the SSE framer reaching the public Decoder for its default, lazily) is caught, lazy
    import or not, by all three contracts."""
    copy = tmp_path / "openresponses_msgspec"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    sse = copy / "_sse.py"
    sse.write_text(
        sse.read_text() + "\n\ndef _default() -> object:\n    from ._decoder import _DEFAULT\n\n    return _DEFAULT\n"
    )
    r = _lint(tmp_path)
    assert r.returncode == 1, r.stdout[-6000:]
    assert "Contracts: 0 kept, 3 broken." in r.stdout, r.stdout[-6000:]
    assert "openresponses_msgspec._sse -> openresponses_msgspec._decoder" in r.stdout, r.stdout[-6000:]


def test_the_architecture_page_maps_every_module() -> None:
    """docs/architecture.md has a row for every module, with its layer's number and a line count within a
    quarter of the real one (refresh them with ``python tools/architecture_counts.py``)."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    rows: dict[str, int] = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].startswith("`") and cells[1].endswith(".py`") and cells[3].isdigit():
            rows[cells[1].strip("`")[:-3]] = int(cells[3])
    modules = {p.stem: len(p.read_text().splitlines()) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert set(rows) == set(modules), (set(modules) - set(rows), set(rows) - set(modules))
    off = {m: (rows[m], n) for m, n in modules.items() if abs(rows[m] - n) > n / 4}
    assert not off, f"line counts (page, real) out of date: {off}"
