"""Memory retained by the decoded text-heavy batch, per stack, each measured in its own subprocess.

Results go to ``.benchmarks/memory.json`` for the report; the target (at most half of orjson's dicts) is
checked on the full batch only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bench_decode import OURS, REFERENCE
from conftest import SMOKE, SUBSET, get_corpus

HERE = Path(__file__).resolve().parent
OUT = Path.cwd() / ".benchmarks" / "memory.json"
STACKS = {OURS: None, REFERENCE: None, "msgspec untyped": None, "orjson.loads": None, "json.loads": None,
          "pydantic TypeAdapter(openai ResponseStreamEvent)": SUBSET, "openai SDK stream path": SUBSET}
MEASURED: dict[str, dict[str, float]] = {}


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "text.ndjson"
    path.write_bytes(get_corpus("text").ndjson)
    return path


@pytest.mark.parametrize("stack", STACKS)
def test_memory(stack: str, text_file: Path, request: pytest.FixtureRequest) -> None:
    if stack == REFERENCE:
        request.getfixturevalue("reference")  # skips with the reason when the prototype is absent
    if stack.startswith(("pydantic", "openai")):
        pytest.importorskip("openai", reason="openai is in the 'bench' extra")
    if stack.startswith("orjson"):
        pytest.importorskip("orjson", reason="orjson is in the 'bench' extra")
    limit = STACKS[stack]
    cmd = [sys.executable, str(HERE / "memory_probe.py"), stack, str(text_file)] + ([str(limit)] if limit else [])
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    n = min(limit or 10**9, get_corpus("text").n)
    assert got["events"] == n and got["retained"] > 0 and got["peak"] >= got["retained"]
    got["per_event"] = got["retained"] / got["events"]
    got["subset"] = limit is not None
    MEASURED[stack] = got
    OUT.parent.mkdir(exist_ok=True)
    saved = json.loads(OUT.read_text()) if OUT.exists() else {}
    saved[stack] = got
    OUT.write_text(json.dumps(saved, indent=1))


def test_memory_target() -> None:
    """Retained bytes per event: at most half of orjson's dicts for the same batch."""
    if SMOKE:
        pytest.skip("smoke run: the target is for the full batch")
    if OURS not in MEASURED or "orjson.loads" not in MEASURED:
        pytest.skip("run the whole file: both stacks are measured in the same run")
    ratio = MEASURED[OURS]["per_event"] / MEASURED["orjson.loads"]["per_event"]
    print(f"retained per event: ours {MEASURED[OURS]['per_event']:.0f} B, orjson "
          f"{MEASURED['orjson.loads']['per_event']:.0f} B ({ratio:.2f}x)")
    assert ratio <= 0.5
