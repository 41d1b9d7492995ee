"""The README's toolkit examples (files, accumulator, rows, command line) run, in a fresh directory and in
order, and print exactly the output the README shows under them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"<!-- example: (\w+) -->\n```(python|bash)\n(.*?)```\n[^\n]*\n```text\n(.*?)```", re.S)


def _examples() -> list[tuple[str, str, str, str]]:
    return [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in _BLOCK.finditer(README.read_text())]


def test_every_capability_has_an_example() -> None:
    assert [name for name, *_ in _examples()] == ["files", "accumulate", "accumulate_streams", "rows", "cli", "check"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cwd = tmp_path_factory.mktemp("readme")
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    out = {}
    for name, lang, code, _ in _examples():  # in order: the command-line example reads the files example's files
        cmd = [sys.executable, "-c", code] if lang == "python" else ["bash", "-c", code]
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0 or lang == "bash", r.stderr
        out[name] = r.stdout
    return out


@pytest.mark.parametrize("name", ["files", "accumulate", "accumulate_streams", "rows", "cli", "check"])
def test_example_prints_what_the_readme_shows(outputs: dict[str, str], name: str) -> None:
    shown = {n: text for n, _, _, text in _examples()}[name]
    assert outputs[name] == shown
