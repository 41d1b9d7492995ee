"""Memory retained by the decoded text-heavy batch, per stack, each measured in its own subprocess.

Each stack is one row of the group ``memory: text batch`` in the run's JSON: ``extra_info`` holds
``retained_per_event`` and ``peak_per_event`` (bytes, tracemalloc) and ``kind="memory"`` (the timing of that
row is a no-op and means nothing). The target (at most half of orjson's dicts) is checked by check.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.support.corpora import SUBSET, get_corpus
from benchmarks.support.targets import OURS, REFERENCE, Target, register

ROOT = Path(__file__).resolve().parents[1]
GROUP = "memory: text batch"
STACKS = {
    OURS: None,
    REFERENCE: None,
    "msgspec untyped": None,
    "orjson.loads": None,
    "json.loads": None,
    "pydantic TypeAdapter(openai ResponseStreamEvent)": SUBSET,
    "openai SDK stream path": SUBSET,
}

register(
    Target(
        "memory retained by the text batch vs orjson dicts",
        issue=5,
        num=(GROUP, OURS),
        den=(GROUP, "orjson.loads"),
        goal=0.5,
        cmp="<=",
        metric="retained_per_event",
    )
)


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "text.ndjson"
    path.write_bytes(get_corpus("text").ndjson)
    return path


@pytest.mark.parametrize("stack", STACKS)
def test_memory(benchmark, stack: str, text_file: Path, request: pytest.FixtureRequest) -> None:
    if stack == REFERENCE:
        request.getfixturevalue("reference")  # skips with the reason when the prototype is absent
    if stack.startswith(("pydantic", "openai")):
        pytest.importorskip("openai", reason="openai is in the 'bench' extra")
    if stack.startswith("orjson"):
        pytest.importorskip("orjson", reason="orjson is in the 'bench' extra")
    limit = STACKS[stack]
    probe = [sys.executable, "-m", "benchmarks.support.memory_probe"]
    cmd = [*probe, stack, str(text_file)] + ([str(limit)] if limit else [])
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    n = min(limit or 10**9, get_corpus("text").n)
    assert got["events"] == n and got["retained"] > 0 and got["peak"] >= got["retained"]
    benchmark.group = GROUP
    benchmark.extra_info.update(
        lib=stack,
        kind="memory",
        events=n,
        bytes=text_file.stat().st_size,
        subset=limit is not None,
        retained=got["retained"],
        peak=got["peak"],
        retained_per_event=got["retained"] / n,
        peak_per_event=got["peak"] / n,
    )
    benchmark.pedantic(lambda: None, rounds=1)  # the numbers are in extra_info; nothing here is timed
