"""The README's runnable examples run (those marked ``<!-- README snippet: runs in tests/test_readme.py -->``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
MARK = "<!-- README snippet: runs in tests/test_readme.py -->"
SNIPPETS = re.findall(re.escape(MARK) + r"\n```python\n(.*?)\n```", README.read_text(), re.S)


def test_the_marked_snippets_are_found() -> None:
    assert len(SNIPPETS) == README.read_text().count(MARK) >= 3


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_readme_snippet_runs(code: str) -> None:
    exec(compile(code, str(README), "exec", dont_inherit=True), {"__name__": "readme_snippet"})
