"""The benchmark suite end to end on tiny corpora: every stack's correctness check, the memory probes, and the
report command. No timing is asserted; peers that are not installed (the 'bench' extra) are skipped there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_suite_smoke_run(tmp_path: Path) -> None:
    pytest.importorskip("pytest_benchmark", reason="pytest-benchmark is in the 'test' extra")
    run_json = tmp_path / "run.json"
    env = {**os.environ, "BENCH_SCALE": "smoke"}
    res = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "benchmarks"), "-q", "-p", "no:cacheprovider",
         f"--benchmark-json={run_json}", "-W", "ignore::DeprecationWarning"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    doc = json.loads(run_json.read_text())
    groups = {b["group"] for b in doc["benchmarks"]}
    for corpus in ("text", "reasoning", "image", "generating", "mixed"):
        for fmt in ("ndjson", "array", "sse", "sse-chunks"):
            assert f"{corpus} {fmt}" in groups
    ours = [b for b in doc["benchmarks"] if b["extra_info"]["lib"] == "openresponses_msgspec"]
    assert all(b["extra_info"]["events"] > 0 and b["stats"]["median"] > 0 for b in ours)
    memory = json.loads((tmp_path / ".benchmarks" / "memory.json").read_text())
    assert memory["openresponses_msgspec"]["events"] == 2000

    out = tmp_path / "docs"
    rep = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "report.py"), str(run_json), "--out", str(out)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rep.returncode == 0, rep.stderr
    md = (out / "benchmarks.md").read_text()
    assert "### text ndjson" in md and "**openresponses_msgspec**" in md and "## Targets" in md
    assert "## Memory: decoded text-heavy batch" in md
