"""Auditing a file (issue #18): ``audit(path)`` against decoding the same file (``iter_batches``), interleaved,
on the large text corpus as NDJSON and SSE. The target: audit runs at no less than a third of decode speed.
Also timed, without a target: the same NDJSON with one field the model lacks on every event (each event type
goes the slow way once, then its drift is learned) and the ``mixed`` corpus (unknown events in it).

    python -m pytest benchmarks/bench_audit.py --benchmark-json=audit.json && python benchmarks/check.py audit.json
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import openresponses_msgspec as orm
from benchmarks.support.corpora import get_corpus
from benchmarks.support.harness import Case, InterleavedSet
from benchmarks.support.targets import Target, register
from openresponses_msgspec import corpus

AUDIT = InterleavedSet("toolkit: audit")
DECODE = "iter_batches (decode the file)"
AUDITED = "audit (the file)"
_DIR = Path(tempfile.mkdtemp(prefix="bench_audit_"))


def _decode(path: Path) -> int:
    return sum(len(b) for b in orm.iter_batches(path, errors="replace"))


def _pair(label: str, make: Callable[[], tuple[bytes, int]]) -> None:
    group = f"audit: {label}"

    def data() -> tuple[Path, int]:
        path = _DIR / label.replace(" ", "_")
        if not path.exists():
            raw, n = make()
            path.write_bytes(raw)
            (_DIR / (path.name + ".n")).write_text(str(n))
        return path, int((_DIR / (path.name + ".n")).read_text())

    @AUDIT.case(f"{label} decode")
    def decode() -> Case:
        path, n = data()
        assert _decode(path) == n
        return Case(group=group, lib=DECODE, fn=lambda: _decode(path), events=n, bytes=path.stat().st_size)

    @AUDIT.case(f"{label} audit")
    def audited() -> Case:
        path, n = data()
        report = orm.audit(path)
        assert report.events == n and report.malformed == 0
        return Case(group=group, lib=AUDITED, fn=lambda: orm.audit(path), events=n, bytes=path.stat().st_size)


def _drifting() -> tuple[bytes, int]:
    evs = [dict(e) for e in get_corpus("text").dicts]
    for e in evs:
        e["lane_note"] = "a"
    return corpus.ndjson(evs), len(evs)


_pair("text ndjson", lambda: (get_corpus("text").ndjson, get_corpus("text").n))
_pair("text sse", lambda: (get_corpus("text").sse, get_corpus("text").n))
_pair("text ndjson, a new field on every event", _drifting)
_pair("mixed ndjson", lambda: (get_corpus("mixed").ndjson, get_corpus("mixed").n))

test_audit = AUDIT.make_test()

register(
    *(
        Target(
            f"{label}: audit speed / decode speed (a file)",
            issue=18,
            num=(f"audit: {label}", AUDITED),
            den=(f"audit: {label}", DECODE),
            goal=1 / 3,
            cmp=">=",
            metric="speed",
        )
        for label in ("text ndjson", "text sse")
    )
)
