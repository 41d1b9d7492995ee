"""The main job: ``python -m openresponses_msgspec demo`` decodes a realistic batch and reports speed."""

from __future__ import annotations

import re
import subprocess
import sys

from openresponses_msgspec.__main__ import main


def test_demo_prints_counts_by_type_and_speed(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["demo", "--events", "2000", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    counts = {m[0]: int(m[1].replace(",", "")) for m in re.findall(r"^  (\S+)\s+([\d,]+)$", out, re.M)}
    total = int(re.search(r"^([\d,]+) events decoded", out, re.M)[1].replace(",", ""))  # type: ignore[index]
    assert sum(counts.values()) == total == 2000
    assert counts["response.keep_alive"] >= 1 and counts["response.image_generation_call.partial_image"] >= 1
    assert re.search(r"decode_lines: .* M events/s, \d+ MB/s", out)
    assert re.search(r"decode_sse \(same events as SSE, [\d.]+ MB\): .* M events/s, \d+ MB/s", out)


def test_module_entry_point_runs() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "openresponses_msgspec", "demo", "--events", "500", "--kind", "text", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "500 events decoded" in r.stdout
