"""The accumulator, accumulate() and StreamSplitter never raise (issue #16): a hypothesis state machine mutates
realistic streams (drop, duplicate, swap, truncate, strip optional fields, null them, rotate ids, remove sequence
numbers, odd indices, stand-in values, foreign lines) and after every step decodes the log with each decoder
(snake, camelCase, projections) and folds it in random batches, reading every property.

Example counts are small (the suite's budget); ``ACC_FUZZ_EXAMPLES=2000 ACC_FUZZ_STEPS=30`` runs a long fuzz."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant
from mutated_streams import EXAMPLES, STEPS, MutatedStreams

import openresponses_msgspec as orm
from openresponses_msgspec import PROBLEM_KINDS, ResponseAccumulator, StreamSplitter, accumulate

pytestmark = pytest.mark.slow  # a hypothesis state machine folding every decoder's output

STATUSES = {"queued", "in_progress", "completed", "failed", "incomplete", "cancelled", "cut_short"}


STEERING = (
    orm.ResponseSteerAcceptedEvent,
    orm.ResponseSteerPendingEvent,
    orm.ResponseSteerFailedEvent,
    orm.ResponseInjectCreatedEvent,
    orm.ResponseInjectFailedEvent,
)


def _read(acc: ResponseAccumulator) -> None:
    """Every reading property, with the invariants they must keep."""
    assert acc.status in STATUSES
    assert all(p.kind in PROBLEM_KINDS for p in acc.problems)
    assert isinstance(acc.output, tuple)
    resp = acc.response
    assert resp is None or isinstance(resp, orm.Response)
    assert isinstance(acc.output_text, str)
    for prop in ("texts", "refusals", "reasoning", "summaries"):
        d = getattr(acc, prop)
        assert all(type(k[0]) is str and type(k[1]) is int and type(v) is str for k, v in d.items()), prop
    for prop in ("arguments", "tool_inputs", "partial_images"):
        d = getattr(acc, prop)
        assert all(type(k) is str and type(v) is str for k, v in d.items()), prop
    u = acc.usage
    assert u is None or isinstance(u, orm.Usage)
    assert acc.last_sequence_number is None or type(acc.last_sequence_number) is int
    assert acc.resumed_at is None or acc.resumed_at > 0
    assert len(acc.errors) <= acc.events
    assert all(isinstance(e, STEERING) for e in acc.steering) and len(acc.steering) <= acc.events
    assert acc.steered_into is None or (acc.steered and acc.status == "incomplete")
    assert acc.steered_from is None or type(acc.steered_from) is str
    repr(acc)


def _state(acc: ResponseAccumulator) -> tuple[Any, ...]:
    return (
        acc.status,
        acc.events,
        acc.output_text,
        acc.texts,
        acc.refusals,
        acc.reasoning,
        acc.summaries,
        acc.arguments,
        acc.tool_inputs,
        acc.partial_images,
        acc.problems,
        acc.response_id,
        acc.resumed_at,
        acc.first_sequence_number,
        acc.last_sequence_number,
        len(acc.output),
        acc.steered,
        [type(e) for e in acc.steering],
    )


class FoldedStreams(MutatedStreams):
    """After every step, the log decoded by each decoder folds without raising, in any batching, and every reading
    property keeps its invariants."""

    @invariant()
    def folds_without_raising(self) -> None:
        if not self.log:
            return
        decoded = self.decoded()
        for name, events in decoded.items():
            assert len(events) == len(self.log), name
            acc = ResponseAccumulator()
            third = max(1, len(events) // 3)
            acc.feed(events[:third])
            _read(acc)
            for ev in events[third : 2 * third]:
                acc.feed(ev)
            acc.feed(iter(events[2 * third :]))
            acc.close()
            _read(acc)
            assert acc.events == len(events)
            one = ResponseAccumulator()  # one event per call: every delta takes the slow path
            for ev in events:
                one.feed(ev)
            one.close()
            assert _state(one) == _state(acc), name
            whole = accumulate(events)
            assert sum(a.events for a in whole) == len(events)
            for a in whole:
                _read(a)
            sp = StreamSplitter()
            cut = sp.feed(events[:third]) + sp.feed(events[third:]) + sp.close()
            laned = any(getattr(e, "stream_id", None) for e in events)  # (streams of different lanes: any order)
            got_cut, got_whole = (
                [(a.events, a.status, a.problems, a.steered_from, a.steered_into, a.steering) for a in accs]
                for accs in (cut, whole)
            )
            assert (sorted(got_cut, key=repr) == sorted(got_whole, key=repr)) if laned else got_cut == got_whole

        def summary(events: list[Any]) -> list[Any]:  # (an invalid line's byte offset differs in camelCase)
            return [
                (
                    a.events,
                    a.status,
                    a.output_text,
                    a.texts,
                    a.arguments,
                    a.summaries,
                    [(p.kind, p.sequence_number) for p in a.problems],
                )
                for a in accumulate(events)
            ]

        assert summary(decoded["camel"]) == summary(decoded["snake"])  # camel twins fold as the snake classes


FoldedStreams.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
test_mutated_streams = FoldedStreams.TestCase
