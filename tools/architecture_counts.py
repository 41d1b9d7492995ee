"""Refresh the line counts in docs/architecture.md's module map (``python tools/architecture_counts.py``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    counts = {p.stem: len(p.read_text().splitlines()) for p in (ROOT / "src/openresponses_msgspec").glob("*.py")}
    page = ROOT / "docs/architecture.md"
    lines = []
    for line in page.read_text().splitlines():
        m = re.match(r"^(\|.*\| `(\w+)\.py` \|.*\| )\d+ \|$", line)
        if m and m.group(2) in counts:
            line = f"{m.group(1)}{counts[m.group(2)]} |"
        lines.append(line)
    text = re.sub(r"`__init__.py` \(\d+ lines\)", f"`__init__.py` ({counts['__init__']} lines)", "\n".join(lines))
    page.write_text(text + "\n")


if __name__ == "__main__":
    main()
