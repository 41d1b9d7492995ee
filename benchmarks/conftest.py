"""Benchmark corpora, built once per session and deterministic. Run: ``pytest benchmarks/`` (the 'bench' extra).

``BENCH_SCALE=smoke`` shrinks every corpus to a few thousand events (used by the test suite's smoke run);
``BENCH_EVENTS`` overrides the text-heavy batch size (default 200000, the reference corpus size).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from openresponses_msgspec import corpus

_DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "bench-reference"
REFERENCE_DIR = Path(os.environ.get("BENCH_REFERENCE_DIR", _DEFAULT_REFERENCE))
SMOKE = os.environ.get("BENCH_SCALE", "full") == "smoke"
ROUNDS = 1 if SMOKE else 5

# events per corpus: (full, smoke)
SIZES = {
    "text": (int(os.environ.get("BENCH_EVENTS", "200000")), 2000),
    "reasoning": (100_000, 1000),
    "image": (300, 20),
    "generating": (1_000_000, 5000),
    "mixed": (100_000, 2000),
}
SUBSET = 2000 if SMOKE else 20_000  # events for the peers that run at a few thousand events/s
TINY_SUBSET = 200 if SMOKE else 2000  # for the ones that run at about a thousand


@dataclass
class Corpus:
    """One batch of events in every wire format, built lazily."""

    name: str
    dicts: list[dict[str, Any]] = field(repr=False)
    source: str = "openresponses_msgspec.corpus"

    @property
    def n(self) -> int:
        return len(self.dicts)

    @cached_property
    def ndjson(self) -> bytes:
        if self.source == "reference make_batch.py":  # byte for byte what the reference figures used
            return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in self.dicts)
        return corpus.ndjson(self.dicts)

    @cached_property
    def array(self) -> bytes:
        return b"[" + b",".join(self.ndjson.splitlines()) + b"]"  # the same bytes per event as the NDJSON

    @cached_property
    def sse(self) -> bytes:
        """OpenRouter style: ``data:`` frames, a leading ``: OPENROUTER PROCESSING`` comment, ``[DONE]``; the
        mixed corpus also gets a comment every 50 events."""
        lines = self.ndjson.splitlines()
        parts = [b": OPENROUTER PROCESSING\n\n"]
        every = 50 if self.name == "mixed" else 0
        for k, line in enumerate(lines):
            parts.append(b"data: " + line + b"\n\n")
            if every and k % every == every - 1:
                parts.append(b": OPENROUTER PROCESSING\n\n")
        parts.append(b"data: [DONE]\n\n")
        return b"".join(parts)

    def subset(self, n: int) -> Corpus:
        if n >= self.n:
            return self
        return Corpus(self.name, self.dicts[:n], self.source)


def _reference_module(name: str) -> Any:
    if not (REFERENCE_DIR / f"{name}.py").exists():
        return None
    if str(REFERENCE_DIR) not in sys.path:
        sys.path.insert(0, str(REFERENCE_DIR))
    return __import__(name)


def build(name: str) -> Corpus:
    n = SIZES[name][1 if SMOKE else 0]
    make_batch = _reference_module("make_batch")
    if name == "text" and make_batch is not None:
        return Corpus(name, make_batch.build("text", n), "reference make_batch.py")
    if name == "image":
        return Corpus(name, corpus.events("image", n, image_kb=(100, 2048)))
    return Corpus(name, corpus.events(name, n))


_CORPORA: dict[str, Corpus] = {}


def get_corpus(name: str) -> Corpus:
    if name not in _CORPORA:
        _CORPORA.clear()  # keep one corpus in memory at a time (the image one is ~100 MB per format)
        gc.collect()
        _CORPORA[name] = build(name)
    return _CORPORA[name]


@pytest.fixture(scope="session")
def reference() -> Any:
    """The hand-tuned 13-variant prototype from ../shared/bench-reference (never copied here)."""
    mod = _reference_module("reference_prototype")
    if mod is None:
        pytest.skip(f"reference prototype not found under {REFERENCE_DIR} (set BENCH_REFERENCE_DIR)")
    return mod


VERSIONED = ("msgspec", "openresponses-msgspec", "orjson", "pydantic", "openai", "openrouter", "openresponses-types",
             "httpx-sse", "pytest-benchmark")


def pytest_benchmark_update_machine_info(config: Any, machine_info: dict[str, Any]) -> None:
    """Record the versions of everything compared, for the report's "Reproducing" note."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for pkg in VERSIONED:
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    machine_info["versions"] = versions
    machine_info["scale"] = "smoke" if SMOKE else "full"
    machine_info["reference"] = str(REFERENCE_DIR) if (REFERENCE_DIR / "reference_prototype.py").exists() else None
