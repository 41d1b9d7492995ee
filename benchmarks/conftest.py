"""Benchmark corpora, built once per session (deterministic). Run: pytest benchmarks/ (needs the 'bench' extra).

BENCH_EVENTS sets the text-heavy batch size (default 200000, the reference corpus size).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from openresponses_msgspec import corpus

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "bench-reference"
N = int(os.environ.get("BENCH_EVENTS", "200000"))


@pytest.fixture(scope="session")
def text_batch() -> tuple[bytes, int]:
    """(NDJSON bytes, event count): the reference text corpus when present, else ours of the same shape."""
    if (REFERENCE_DIR / "make_batch.py").exists():
        sys.path.insert(0, str(REFERENCE_DIR))
        import json

        import make_batch  # type: ignore[import-not-found]

        evs = make_batch.build("text", N)
        return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in evs), len(evs)
    evs = corpus.events("text", N)
    return corpus.ndjson(evs), len(evs)


@pytest.fixture(scope="session")
def image_batch() -> tuple[bytes, int]:
    evs = corpus.events("image", max(200, N // 20), image_kb=20)
    return corpus.ndjson(evs), len(evs)


@pytest.fixture(scope="session")
def reference():
    """The hand-tuned 13-variant prototype from ../shared/bench-reference (never copied here)."""
    if not (REFERENCE_DIR / "reference_prototype.py").exists():
        pytest.skip(f"reference prototype not found under {REFERENCE_DIR}")
    sys.path.insert(0, str(REFERENCE_DIR))
    import reference_prototype  # type: ignore[import-not-found]

    return reference_prototype
