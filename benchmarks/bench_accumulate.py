"""Folding (issues #12, #16): ``accumulate`` over a decoded batch against decoding that batch (``decode_lines``),
interleaved, per corpus. The targets: folding costs at most half the decode time, in the median (#12) and in
every round (#16: a full garbage collection inside one fold used to cost more than the fold)."""

from __future__ import annotations

from typing import Any

import openresponses_msgspec as orm
from benchmarks.support.corpora import get_corpus
from benchmarks.support.harness import Case, InterleavedSet
from benchmarks.support.targets import Target, register

FOLD = InterleavedSet("toolkit: fold")
DECODE = "decode_lines"
ACCUMULATE = "accumulate (decoded batch)"
CORPORA = ("text", "reasoning", "mixed")


def _cases(name: str) -> None:
    group = f"fold: {name}"

    @FOLD.case(f"{name} decode")
    def decode() -> Case:
        c = get_corpus(name)
        data = c.ndjson
        assert len(orm.decode_lines(data)) == c.n
        return Case(group=group, lib=DECODE, fn=lambda: orm.decode_lines(data), events=c.n, bytes=len(data))

    @FOLD.case(f"{name} accumulate")
    def fold() -> Case:
        c = get_corpus(name)
        events: list[Any] = orm.decode_lines(c.ndjson)
        accs = orm.accumulate(events)
        # check: every output_text.done is its stream's accumulated text (streams are consecutive slices)
        at = 0
        for acc in accs:
            for ev in events[at : at + acc.events]:
                if ev.type == "response.output_text.done":
                    assert acc.texts[(ev.item_id, ev.content_index)] == ev.text
            at += acc.events
        assert at == c.n
        return Case(group=group, lib=ACCUMULATE, fn=lambda: orm.accumulate(events), events=c.n, bytes=len(c.ndjson))


for _name in CORPORA:
    _cases(_name)

test_fold = FOLD.make_test()

register(
    *(
        Target(
            f"{name}: accumulate time / decode_lines time",
            issue=12,
            num=(f"fold: {name}", ACCUMULATE),
            den=(f"fold: {name}", DECODE),
            goal=0.5,
            cmp="<=",
            metric="time",
        )
        for name in CORPORA
    )
)
# issue #16: the fold stays under half the decode time in every round, not only in the median
register(
    *(
        Target(
            f"{name}: accumulate time / decode_lines time, worst round",
            issue=16,
            num=(f"fold: {name}", ACCUMULATE),
            den=(f"fold: {name}", DECODE),
            goal=0.5,
            cmp="<=",
            metric="time",
            over="every round",
        )
        for name in CORPORA
    )
)
