"""Benchmark corpora, built once per session and deterministic. Run: ``pytest benchmarks/`` (the 'bench' extra);
see benchmarks/README.md for subsets, saving a run, the target check and the report.

``BENCH_SCALE=smoke`` shrinks every corpus to a few hundred events (used by the test suite's smoke run);
``BENCH_EVENTS`` overrides the text-heavy batch size (default 200000, the reference corpus size).

Each corpus has the wire formats ``ndjson``, ``array``, ``sse`` (OpenRouter style: ``data:`` frames, comments,
``[DONE]``), ``sse_event`` (Open Responses style: ``event: <type>`` + ``data:`` per frame, ``[DONE]``) and
``ndjson_blank`` (a blank line after every event), and :meth:`Corpus.variant` derives the mixes of issue #10:
``keepalive`` (a keep-alive event after every 100 events) and ``unknown-nested`` (one event in 100 carries an
output item of an unknown type).
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

from benchmarks.support.harness import SMOKE
from openresponses_msgspec import corpus

_DEFAULT_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "bench-reference"
REFERENCE_DIR = Path(os.environ.get("BENCH_REFERENCE_DIR", _DEFAULT_REFERENCE))

# events per corpus: (full, smoke)
SIZES = {
    "text": (int(os.environ.get("BENCH_EVENTS", "200000")), 500),
    "reasoning": (100_000, 250),
    "image": (300, 20),
    "generating": (1_000_000, 1000),
    "mixed": (100_000, 500),
}
SUBSET = 500 if SMOKE else 10_000  # events for the peers that run at a few thousand events/s
TINY_SUBSET = 50 if SMOKE else 1000  # for the ones that run at a few hundred


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
    def ndjson_blank(self) -> bytes:
        """The NDJSON with a blank line after every event (what some loggers and proxies write)."""
        return self.ndjson.replace(b"\n", b"\n\n")

    @cached_property
    def sse_event(self) -> bytes:
        """Open Responses servers: ``event: <type>`` then ``data: <json>`` per frame, ``data: [DONE]`` last."""
        parts = []
        for ev, line in zip(self.dicts, self.ndjson.splitlines(), strict=True):
            parts.append(b"event: " + ev["type"].encode() + b"\ndata: " + line + b"\n\n")
        parts.append(b"data: [DONE]\n\n")
        return b"".join(parts)

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

    def variant(self, kind: str) -> Corpus:
        """A mix derived from this corpus (cached on it): ``keepalive`` inserts a keep-alive event (a tag the model
        does not know, ``response.keep_alive``, so an unknown event; OpenAI's ``keepalive`` is typed since #18)
        after every 100 events; ``unknown-nested`` inserts, after every 99 events, an
        ``output_item.added`` whose item has an unknown ``type`` (so 1 event in 100 holds an unknown nested item).
        The events count includes the inserted ones."""
        cache = self.__dict__.setdefault("_variants", {})
        if kind not in cache:
            out: list[dict[str, Any]] = []
            every = {"keepalive": 100, "unknown-nested": 99}[kind]
            for k, ev in enumerate(self.dicts):
                out.append(ev)
                if k % every == every - 1:
                    seq = ev.get("sequence_number", 0)
                    if kind == "keepalive":
                        out.append({"type": "response.keep_alive", "sequence_number": seq})
                    else:
                        out.append(
                            {
                                "type": "response.output_item.added",
                                "output_index": 1,
                                "sequence_number": seq,
                                "item": {
                                    "type": "x_future_widget",
                                    "id": f"xw_{k:08x}",
                                    "status": "in_progress",
                                    "payload": {"kind": "gauge", "values": [1, 2, 3]},
                                },
                            }
                        )
            cache[kind] = Corpus(f"{self.name}+{kind}", out, self.source)
        return cache[kind]

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


def reference_module() -> Any:
    """The hand-tuned 13-variant prototype from ../shared/bench-reference (imported, never copied here); skips
    the calling test with the reason when it is absent."""
    mod = _reference_module("reference_prototype")
    if mod is None:
        pytest.skip(f"reference prototype not found under {REFERENCE_DIR} (set BENCH_REFERENCE_DIR)")
    return mod
