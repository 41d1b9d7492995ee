"""Conformance rules (issue #21): each rule broken by a hand-written stream, facts from public bug reports carried
over as hand-written lines (no recording copied); a conformant real-shaped stream breaks none; the checker never
raises on mutated realistic streams (the accumulator's state machine, its invariant replaced)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant
from mutated_streams import EXAMPLES, MutatedStreams

import openresponses_msgspec as orm
from openresponses_msgspec import RULES, ConformanceChecker, check_events

RID, MID, RS = "resp_1", "msg_1", "rs_1"


def _resp(status: str, usage: bool = True, **kw: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"id": RID, "object": "response", "status": status, "model": "gpt-5.4", **kw}
    if usage:
        r["usage"] = {"input_tokens": 12, "output_tokens": 5, "total_tokens": 17}
    return r


def _stream(*, text: tuple[str, ...] = ("Hel", "lo"), terminal: str = "completed") -> list[dict[str, Any]]:
    """A conformant text stream as OpenAI sends it (created, in_progress, item, part, deltas, dones, completed)."""
    evs: list[dict[str, Any]] = [
        {"type": "response.created", "response": _resp("in_progress", usage=False)},
        {"type": "response.in_progress", "response": _resp("in_progress", usage=False)},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "message", "id": MID, "role": "assistant", "status": "in_progress", "content": []},
        },
        {
            "type": "response.content_part.added",
            "item_id": MID,
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]
    evs += [
        {"type": "response.output_text.delta", "item_id": MID, "output_index": 0, "content_index": 0, "delta": d}
        for d in text
    ]
    full = "".join(text)
    evs += [
        {"type": "response.output_text.done", "item_id": MID, "output_index": 0, "content_index": 0, "text": full},
        {
            "type": "response.content_part.done",
            "item_id": MID,
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": full, "annotations": []},
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {
                "type": "message",
                "id": MID,
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": full, "annotations": []}],
            },
        },
        {"type": f"response.{terminal}", "response": _resp(terminal)},
    ]
    return _numbered(evs)


def _numbered(evs: list[dict[str, Any]], base: int = 0) -> list[dict[str, Any]]:
    return [{**e, "sequence_number": base + n} for n, e in enumerate(evs)]


def _check(evs: list[Any]) -> list[tuple[str, int | None]]:
    data = b"\n".join(e if isinstance(e, bytes) else json.dumps(e).encode() for e in evs) + b"\n"
    got = check_events(orm.decode_lines(data, errors="replace"))
    return [(v.rule, v.sequence_number) for v in got]


def test_a_conformant_stream_breaks_no_rule() -> None:
    assert _check(_stream()) == []
    assert _check(_stream() + _stream(text=("a", "b", "c"))) == []  # a log of two streams
    for kind in ("text", "reasoning", "mixed", "image"):  # the corpus streams (their last one cut: no terminal)
        events = orm.corpus.events(kind, 300, image_kb=1)
        got = check_events(orm.decode_lines(b"\n".join(json.dumps(e).encode() for e in events)))
        assert [v.rule for v in got] == ["no_terminal"], kind


def test_raw_pairs_are_checked_as_their_events() -> None:
    """``raw=True`` results (Framed pairs) are checked as the events they hold: one pair, a batch of them, or
    pairs fed one by one, as the plain events are (they were silently ignored: 0 streams, no violation)."""
    broken = _stream()[:-1]  # no terminal event
    data = b"\n".join(json.dumps(e).encode() for e in broken) + b"\n"
    want = check_events(orm.decode_lines(data))
    assert [v.rule for v in want] == ["no_terminal"]
    assert check_events(orm.decode_lines(data, raw=True)) == want
    one_by_one = ConformanceChecker()
    for pair in orm.decode_lines(data, raw=True):
        one_by_one.feed(pair)
    one_by_one.close()
    assert one_by_one.violations == want and one_by_one.events == len(broken)


def test_every_rule_is_documented_with_a_test() -> None:
    """docs/conformance.md: one row per rule, in order, its fatal column as RULES says, naming a test that exists."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "conformance.md").read_text()
    rows = [r.split(" | ") for r in doc.splitlines() if r.startswith("| `")]
    assert [r[0].strip("| `") for r in rows] == list(RULES)
    ids = {c[0] for c in CASES}
    for r in rows:
        rule = RULES[r[0].strip("| `")]
        assert r[1].startswith("yes") == rule.fatal, rule.name
        test = r[-1].strip(" |`").split("::", 1)[1]
        name, _, param = test.partition("[")
        assert callable(globals().get(name)), test
        assert not param or param.rstrip("]") in ids, test


def test_vllm_gpt_oss_message_without_output_item_added() -> None:
    """vllm-project/agentic-api #62: after a reasoning item, the harmony path sends the message's text .done and
    its output_item.done with no output_item.added for the message."""
    evs = _numbered(
        [
            {"type": "response.created", "response": _resp("in_progress", usage=False)},
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {"type": "reasoning", "id": RS, "summary": [], "content": []},
            },
            {
                "type": "response.reasoning_text.delta",
                "item_id": RS,
                "output_index": 0,
                "content_index": 0,
                "delta": "think",
            },
            {
                "type": "response.reasoning_text.done",
                "item_id": RS,
                "output_index": 0,
                "content_index": 0,
                "text": "think",
            },
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {
                    "type": "reasoning",
                    "id": RS,
                    "summary": [],
                    "content": [{"type": "reasoning_text", "text": "think"}],
                },
            },
            {
                "type": "response.output_text.done",
                "item_id": MID,
                "output_index": 1,
                "content_index": 0,
                "text": "HELLO",
            },
            {
                "type": "response.output_item.done",
                "output_index": 1,
                "item": {
                    "type": "message",
                    "id": MID,
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": "HELLO"}],
                },
            },
            {"type": "response.completed", "response": _resp("completed")},
        ]
    )
    assert _check(evs) == [("item_not_added", 5), ("part_not_added", 5)]


def test_null_item() -> None:
    """openai-python #3125 (PRs #3131, #3399): compatible servers send output_item.added with item null."""
    evs = _stream()
    evs[2]["item"] = None
    assert _check(evs) == [("null_item", 2)]  # the message's events then name the item at its output_index
    evs[2]["output_index"] = 1
    assert _check(evs) == [
        ("null_item", 2),
        ("output_index_order", 2),
        ("item_not_added", 3),
        ("item_not_done", 9),
    ]  # (the message at index 0 never done: the null one was)


def test_error_after_completed() -> None:
    """praxis-proxy/ai #841: an error event after response.completed."""
    evs = _stream() + [
        {"type": "error", "code": "server_error", "message": "boom", "param": None, "sequence_number": 10}
    ]
    assert _check(evs) == [("event_after_terminal", 10)]


def test_renumbering_gaps() -> None:
    """GoModel PR #953: a guardrail dropped events but kept the upstream numbers: 0,1,2,3,4,24,54,..."""
    evs = _stream(text=("a", "b", "c", "d"))
    for e, n in zip(evs, [0, 1, 2, 3, 4, 24, 54, 55, 56, 57, 58, 59], strict=True):
        e["sequence_number"] = n
    assert _check(evs) == [("sequence_gap", 24), ("sequence_gap", 54)]


def test_stream_without_terminal_event_is_reported_not_fatal() -> None:
    """OpenRouter may close a stream after its last output_item.done (moeru-ai/airi #2589)."""
    got = check_events(orm.decode_lines(b"\n".join(json.dumps(e).encode() for e in _stream()[:-1])))
    assert [(v.rule, v.position, v.fatal) for v in got] == [("no_terminal", 8, False)]


def test_rotated_ids_are_reported_once_not_fatal() -> None:
    """GitHub Copilot gives every event a new response id and item id (the accumulator's tests carry it)."""
    evs = _stream()
    for n, e in enumerate(evs):
        if "response" in e:
            e["response"]["id"] = f"resp_{n}"
        if "item_id" in e:
            e["item_id"] = f"msg_{n}"
        if isinstance(e.get("item"), dict):
            e["item"]["id"] = f"msg_{n}"
    got = check_events(orm.decode_lines(b"\n".join(json.dumps(e).encode() for e in evs)))
    assert [(v.rule, v.sequence_number, v.fatal) for v in got] == [
        ("response_id_changed", 1, False),
        ("item_id_changed", 3, False),
    ]


CASES: list[tuple[str, Any, list[tuple[str, int | None]]]] = [
    ("no_start", lambda e: _numbered(e[1:]), [("no_start", 0)]),
    ("resumed stream is exempt", lambda e: e[5:], []),
    (
        "missing_sequence_number",
        lambda e: [{k: v for k, v in x.items() if k != "sequence_number"} for x in e],
        [("missing_sequence_number", None)],
    ),
    ("sequence_order", lambda e: e[:5] + [e[4]] + e[5:], [("sequence_order", 4)]),
    (
        "invalid_event",
        lambda e: e[:3] + [b'{"type": "response.output_text.delta", "delta": '] + e[3:],
        [("invalid_event", None)],
    ),
    (
        "missing_field",
        lambda e: e[:4] + [{k: v for k, v in e[4].items() if k != "content_index"}] + e[5:],
        [("missing_field", 4)],
    ),
    (
        "item_added_twice",
        lambda e: e[:3] + [{**e[2], "sequence_number": 3}] + _numbered(e[3:], 4),
        [("item_added_twice", 3)],
    ),
    (
        "output_index_order",
        lambda e: e[:2] + [{**e[2], "output_index": 1}] + e[3:],
        [("output_index_order", 2), ("output_index_mismatch", 3)],
    ),
    (
        "part_added_twice",
        lambda e: e[:4] + [{**e[3], "sequence_number": 4}] + _numbered(e[4:], 5),
        [("part_added_twice", 4)],
    ),
    ("part_not_added", lambda e: e[:3] + _numbered(e[4:], 3), [("part_not_added", 3)]),  # once per part
    (
        "delta_after_done",
        lambda e: e[:7] + [{**e[4], "sequence_number": 7}] + _numbered(e[7:], 8),
        [("delta_after_done", 7)],
    ),
    ("delta_mismatch", lambda e: e[:6] + [{**e[6], "text": "Help"}] + e[7:], [("delta_mismatch", 6)]),
    ("text_not_done", lambda e: e[:6] + _numbered(e[7:], 6), [("text_not_done", 6)]),
    ("part_not_done", lambda e: e[:7] + _numbered(e[8:], 7), [("part_not_done", 7)]),
    (
        "event_after_item_done",
        lambda e: e[:9] + [{**e[4], "sequence_number": 9}] + _numbered(e[9:], 10),
        [("event_after_item_done", 9)],
    ),
    ("item_not_done", lambda e: e[:8] + _numbered(e[9:], 8), [("item_not_done", 8)]),
    ("terminal_status", lambda e: e[:9] + [{**e[9], "response": _resp("in_progress")}], [("terminal_status", 9)]),
    ("no_usage", lambda e: e[:9] + [{**e[9], "response": _resp("completed", usage=False)}], [("no_usage", 9)]),
    (
        "error_not_failed",
        lambda e: e[:9] + [{"type": "error", "code": "x", "message": "m", "param": None, "sequence_number": 9}],
        [("no_terminal", None), ("error_not_failed", 9)],
    ),
    (
        "error then failed",
        lambda e: (
            e[:9]
            + [
                {"type": "error", "code": "x", "message": "m", "param": None, "sequence_number": 9},
                {
                    "type": "response.failed",
                    "sequence_number": 10,
                    "response": _resp("failed", error={"code": "x", "message": "m"}),
                },
            ]
        ),
        [],
    ),
    (
        "event_after_terminal (a second terminal)",
        lambda e: e + [{**e[9], "sequence_number": 10}],
        [("event_after_terminal", 10)],
    ),
    ("output_index_mismatch", lambda e: e[:5] + [{**e[5], "output_index": 3}] + e[6:], [("output_index_mismatch", 5)]),
]


@pytest.mark.parametrize(("name", "mutate", "want"), CASES, ids=[c[0] for c in CASES])
def test_rule(name: str, mutate: Any, want: list[tuple[str, int | None]]) -> None:
    got = _check(mutate(_stream()))
    if name == "error_not_failed":
        got = sorted(got, key=lambda v: v[0], reverse=True)
    assert got == want


def test_batches_and_camel_case_agree_with_one_feed() -> None:
    evs = _stream() + _stream()[2:] + _stream()
    data = b"\n".join(json.dumps(e).encode() for e in evs)
    whole = check_events(orm.decode_lines(data))
    assert whole and all(v.rule in RULES for v in whole)
    c = ConformanceChecker()
    events = orm.decode_lines(data)
    for k in range(0, len(events), 3):
        c.feed(events[k : k + 3])
    c.close()
    assert c.violations == whole
    assert c.streams == 2 and c.events == len(events)  # (the middle stream has no start: the first goes on)


class CheckedStreams(MutatedStreams):
    """The accumulator's mutated streams (drop, duplicate, swap, truncate, strip, null, renumber, rotate ids,
    odd indices, stand-ins, foreign lines), checked instead of folded with each decoder: never raises, every
    violation names a rule and an event fed, and batches agree with one feed."""

    @invariant()
    def checks_without_raising(self) -> None:
        if not self.log:
            return
        for name, events in self.decoded().items():
            whole = check_events(events)
            assert all(v.rule in RULES and 0 <= v.position <= len(events) for v in whole), name
            c = ConformanceChecker()
            third = max(1, len(events) // 3)
            c.feed(events[:third])
            for ev in events[third : 2 * third]:
                c.feed(ev)
            c.feed(iter(events[2 * third :]))
            c.close()
            assert c.violations == whole, name


CheckedStreams.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
test_checked_streams = CheckedStreams.TestCase


def test_steer_pending_and_failed_may_follow_completed() -> None:
    """WebSocket mode (issue #18, the openai 3.51.0 SDK's ResponseSteerPendingEvent): queued steering input is
    reported after response.completed; a steer that came too late fails after it. Any other event still counts."""
    steer = {"id": "steer_1", "previous_response_id": "resp_1"}
    evs = _stream() + [
        {
            "type": "response.steer.pending",
            "sequence_number": 10,
            "reason": "waiting_for_required_input",
            "required_input": [],
            "steer": steer,
        },
        {
            "type": "response.steer.failed",
            "sequence_number": 11,
            "steer": {"input": "x", **steer},
            "error": {"code": "response_already_completed", "message": "late", "type": "invalid_request_error"},
        },
    ]
    assert _check(evs) == []
    assert _check(evs + [{"type": "response.steer.accepted", "sequence_number": 12, "steer": steer}]) == [
        ("event_after_terminal", 12)
    ]
