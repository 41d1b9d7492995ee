"""Original bytes beside each event (issue #16): ``decode_*(..., raw=True)`` against decoding alone, interleaved,
on the text corpus in every framing (NDJSON, OpenRouter-style SSE, Open Responses' ``event:``-framed SSE, a
JSON array), plus the text batch with an unknown keep-alive event every 100 (the slow path inside the raw loop).

The goal: keeping the bytes costs at most 1.2x decoding alone, i.e. the raw side runs at >= 0.83x the events/s.

    python -m pytest benchmarks/bench_raw.py --benchmark-json=raw.json && python benchmarks/check.py raw.json
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openresponses_msgspec as orm
from benchmarks.support.corpora import get_corpus
from benchmarks.support.harness import Case, InterleavedSet
from benchmarks.support.targets import Target, register

RAW = InterleavedSet("raw: original bytes")
PLAIN = "decode alone"
FRAMED = "raw=True (Framed event + bytes)"

FORMATS: dict[str, tuple[Callable[[Any], bytes], Callable[..., list[Any]]]] = {
    "NDJSON": (lambda c: c.ndjson, orm.decode_lines),
    "SSE": (lambda c: c.sse, orm.decode_sse),
    "SSE event:-framed": (lambda c: c.sse_event, orm.decode_sse),
    "array": (lambda c: c.array, orm.decode_array),
    "NDJSON +keepalive": (lambda c: c.variant("keepalive").ndjson, orm.decode_lines),
}


def _pair(fmt: str) -> tuple[Callable[[], Case], Callable[[], Case]]:
    data_of, decode = FORMATS[fmt]
    group = f"raw: text {fmt}"

    def plain() -> Case:
        c = get_corpus("text")
        data = data_of(c)
        out = decode(data)
        n = len(out)
        assert n >= c.n
        return Case(group=group, lib=PLAIN, fn=lambda: decode(data), events=n, bytes=len(data))

    def framed() -> Case:
        c = get_corpus("text")
        data = data_of(c)
        out = decode(data, raw=True)
        assert [f.event for f in out] == decode(data)  # the same events (also the warm-up)
        assert all(orm.decode(f.raw) == f.event for f in out[:: max(1, len(out) // 500)])
        return Case(group=group, lib=FRAMED, fn=lambda: decode(data, raw=True), events=len(out), bytes=len(data))

    return plain, framed


for _fmt in FORMATS:
    _p, _f = _pair(_fmt)
    RAW.add(f"{_fmt} alone", _p)
    RAW.add(f"{_fmt} raw", _f)

test_raw = RAW.make_test()

register(
    *(
        Target(
            f"text {fmt}: raw=True vs decoding alone",
            issue=16,
            num=(f"raw: text {fmt}", FRAMED),
            den=(f"raw: text {fmt}", PLAIN),
            goal=0.83,
            note="keeping each event's original bytes costs at most 1.2x decoding alone",
        )
        for fmt in ("NDJSON", "SSE", "array")
    )
)
