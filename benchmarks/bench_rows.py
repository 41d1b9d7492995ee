"""Tables (issue #16): ``to_arrow`` over a decoded batch against decoding that batch (``decode_lines``),
interleaved, per corpus; and ``to_arrow`` with the original bytes (the ``raw`` column filled). The target:
building the table costs at most the decode time."""

from __future__ import annotations

from typing import Any

import openresponses_msgspec as orm
from benchmarks.support.corpora import get_corpus
from benchmarks.support.harness import Case, InterleavedSet
from benchmarks.support.targets import Target, register

ROWS = InterleavedSet("toolkit: rows")
DECODE = "decode_lines"
TO_ARROW = "to_arrow (decoded batch)"
TO_ARROW_RAW = "to_arrow (decoded batch + raw bytes)"
CORPORA = ("text", "reasoning", "mixed")


def _cases(name: str) -> None:
    group = f"rows: {name}"

    @ROWS.case(f"{name} decode")
    def decode() -> Case:
        c = get_corpus(name)
        data = c.ndjson
        assert len(orm.decode_lines(data)) == c.n
        return Case(group=group, lib=DECODE, fn=lambda: orm.decode_lines(data), events=c.n, bytes=len(data))

    @ROWS.case(f"{name} to_arrow")
    def table() -> Case:
        c = get_corpus(name)
        events: list[Any] = orm.decode_lines(c.ndjson)
        t = orm.to_arrow(events)
        # check: the typed columns equal the source events
        assert t.num_rows == c.n
        assert t.column("type").to_pylist() == [e["type"] for e in c.dicts]
        assert t.column("sequence_number").to_pylist() == [e.get("sequence_number") for e in c.dicts]
        assert t.column("delta").to_pylist() == [
            e.get("delta") if isinstance(e.get("delta"), str) else None for e in c.dicts
        ]
        return Case(group=group, lib=TO_ARROW, fn=lambda: orm.to_arrow(events), events=c.n, bytes=len(c.ndjson))

    @ROWS.case(f"{name} to_arrow raw")
    def table_raw() -> Case:
        c = get_corpus(name)
        events: list[Any] = orm.decode_lines(c.ndjson)
        raws = c.ndjson.rstrip(b"\n").split(b"\n")
        assert len(raws) == c.n
        t = orm.to_arrow(events, raw=raws)
        assert t.column("raw").to_pylist() == raws
        return Case(
            group=group, lib=TO_ARROW_RAW, fn=lambda: orm.to_arrow(events, raw=raws), events=c.n, bytes=len(c.ndjson)
        )


for _name in CORPORA:
    _cases(_name)

test_rows = ROWS.make_test()

register(
    *(
        Target(
            f"{name}: to_arrow time / decode_lines time",
            issue=16,
            num=(f"rows: {name}", TO_ARROW),
            den=(f"rows: {name}", DECODE),
            goal=1.0,
            cmp="<=",
            metric="time",
        )
        for name in CORPORA
    )
)
