"""WebSocket lanes in the accumulator (issue #18): ``accumulate()`` and ``StreamSplitter`` keep interleaved
lanes apart by ``stream_id``; a log without any stream_id is cut as before. Streams are the corpus's realistic
ones, given lanes and interleaved; the property runs on mutated ones (drop, duplicate, swap, truncate, strip
optional fields, remove sequence numbers, rotate ids)."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec import StreamSplitter, accumulate, corpus

STREAMS: list[list[dict[str, Any]]] = []
for _ev in corpus.events("mixed", 600):
    if _ev["type"] in ("response.created", "response.queued") and (
        not STREAMS or STREAMS[-1][-1]["type"] in ("response.completed", "response.failed", "response.incomplete")
    ):
        STREAMS.append([])
    if STREAMS:
        STREAMS[-1].append(_ev)


def _with_lane(stream: list[dict[str, Any]], lane: str | None) -> list[dict[str, Any]]:
    return [dict(e, stream_id=lane) if lane is not None else dict(e) for e in stream]


def _interleave(lanes: list[list[dict[str, Any]]], rnd: random.Random) -> list[dict[str, Any]]:
    """A random merge that keeps each lane's order (as one connection delivers them)."""
    at = [0] * len(lanes)
    out = []
    while any(a < len(lane) for a, lane in zip(at, lanes, strict=True)):
        k = rnd.choice([i for i, lane in enumerate(lanes) if at[i] < len(lane)])
        out.append(lanes[k][at[k]])
        at[k] += 1
    return out


def _decode(evs: list[dict[str, Any]]) -> list[Any]:
    return orm.decode_lines(b"\n".join(json.dumps(e).encode() for e in evs), errors="replace")


def _summary(accs: list[orm.ResponseAccumulator]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            (
                a.response_id,
                a.status,
                a.output_text,
                a.events,
                tuple(sorted(a.arguments.items())),
                len(a.problems),
                a.steered_from,
                a.steered_into,
                len(a.steering),
            )
            for a in accs
        ),
        key=repr,
    )


def _lane(ev: Any) -> str | None:
    """The lane an event names, found independently of the accumulator (an unknown event: from its JSON)."""
    if isinstance(ev, (orm.UnknownEvent, orm.InvalidEvent)):
        try:
            lane = json.loads(bytes(ev.raw)).get("stream_id") if ev.raw is not None else None
        except ValueError:
            return None
        return lane if isinstance(lane, str) else None
    lane = getattr(ev, "stream_id", None)
    return lane if isinstance(lane, str) else None


def test_interleaved_lanes_fold_as_each_lane_alone() -> None:
    """Three responses on two lanes (two one after another on lane a), interleaved event by event."""
    a1, a2, b1 = STREAMS[0], STREAMS[1], STREAMS[2]
    lane_a, lane_b = _with_lane(a1 + a2, "lane-a"), _with_lane(b1, "lane-b")
    mixed = _decode(_interleave([lane_a, lane_b], random.Random(5)))
    expected = _summary(accumulate(_decode(lane_a)) + accumulate(_decode(lane_b)))
    assert len(expected) == 3 and all(s[1] == "completed" for s in expected)
    assert _summary(accumulate(mixed)) == expected
    # batch by batch, cut anywhere: the same
    for cut in (1, 7, 50, len(mixed)):
        splitter = StreamSplitter()
        out = []
        for i in range(0, len(mixed), cut):
            out += splitter.feed(mixed[i : i + cut])
        assert _summary(out + splitter.close()) == expected


def test_an_unknown_event_goes_to_the_lane_its_bytes_name() -> None:
    lane_a = _with_lane(STREAMS[0], "lane-a")
    lane_b = _with_lane(STREAMS[1], "lane-b")
    lane_a.insert(3, {"type": "response.teleport.started", "sequence_number": 3, "stream_id": "lane-a"})
    for e in lane_a[4:]:
        e["sequence_number"] += 1
    mixed = _decode(_interleave([lane_a, lane_b], random.Random(1)))
    assert sum(isinstance(e, orm.UnknownEvent) for e in mixed) == 1
    accs = {a.response_id: a for a in accumulate(mixed)}
    assert accs[STREAMS[0][0]["response"]["id"]].events == len(lane_a)
    assert accs[STREAMS[1][0]["response"]["id"]].events == len(lane_b)
    assert not accs[STREAMS[0][0]["response"]["id"]].problems


def test_events_without_a_lane_share_one_and_a_log_without_lanes_is_cut_as_before() -> None:
    """A connection whose second request gave no stream_id: its events are one lane of their own."""
    lane_a, plain = _with_lane(STREAMS[0], "lane-a"), _with_lane(STREAMS[1], None)
    mixed = _decode(_interleave([lane_a, plain], random.Random(2)))
    assert _summary(accumulate(mixed)) == _summary(accumulate(_decode(lane_a)) + accumulate(_decode(plain)))
    sse_log = _decode([e for s in STREAMS[:4] for e in s])
    assert [a.response_id for a in accumulate(sse_log)] == [s[0]["response"]["id"] for s in STREAMS[:4]]


# -- mutated interleaved streams --------------------------------------------------------------------------------

STEERING = {
    orm.ResponseSteerAcceptedEvent,
    orm.ResponseSteerPendingEvent,
    orm.ResponseSteerFailedEvent,
    orm.ResponseInjectCreatedEvent,
    orm.ResponseInjectFailedEvent,
}
OPS = ["drop", "dup", "swap", "truncate", "strip", "noseq", "rotate", "nolane"]


@st.composite
def _mutated_lanes(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[bytes]]:
    n = draw(st.integers(1, 4))
    pool = STREAMS + [_steer_lane(None), _after_completed(None)]  # (defined below; a steered lane is picked often)
    picks = draw(
        st.lists(
            st.integers(0, len(pool) - 1) | st.sampled_from([len(pool) - 2, len(pool) - 1]), min_size=n, max_size=n
        )
    )
    lanes = [_with_lane(pool[p], f"lane-{i}") for i, p in enumerate(picks)]
    evs = _interleave(lanes, random.Random(draw(st.integers(0, 2**16))))
    truncated: list[bytes] = []
    for op, k in draw(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 10_000)), max_size=20)):
        if not evs:
            break
        i = k % len(evs)
        if op == "drop":
            del evs[i]
        elif op == "dup":
            evs.insert(i, json.loads(json.dumps(evs[i])))
        elif op == "swap" and len(evs) > 1:
            j = (i + 1 + k % 3) % len(evs)
            evs[i], evs[j] = evs[j], evs[i]
        elif op == "truncate":
            truncated.append(json.dumps(evs.pop(i)).encode()[: 1 + k % 40])
        elif op == "strip":
            for key in [x for x in evs[i] if x not in ("type", "delta", "response")][: 1 + k % 3]:
                del evs[i][key]
        elif op == "noseq":
            evs[i].pop("sequence_number", None)
        elif op == "rotate" and isinstance(evs[i].get("response"), dict):
            evs[i]["response"]["id"] = f"resp_rot{k}"
        elif op == "nolane":
            evs[i].pop("stream_id", None)
    return evs, truncated


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_lanes(), st.integers(1, 60))
def test_mutated_interleaved_lanes_never_raise_and_count_every_event(
    case: tuple[list[dict[str, Any]], list[bytes]], cut: int
) -> None:
    evs, truncated = case
    lines = [json.dumps(e).encode() for e in evs] + truncated
    decoded = orm.decode_lines(b"\n".join(lines), errors="replace")
    whole = accumulate(decoded)
    assert sum(a.events for a in whole) == len(decoded)
    # each lane is folded apart from the others, exactly as that lane alone
    groups: dict[str | None, list[Any]] = {}
    for e in decoded:
        groups.setdefault(_lane(e), []).append(e)
    alone = [a for g in groups.values() for a in accumulate(g)]
    assert _summary(whole) == _summary(alone)
    splitter = StreamSplitter()
    out = []
    for i in range(0, len(decoded), cut):
        out += splitter.feed(decoded[i : i + cut])
    out += splitter.close()
    assert sum(a.events for a in out) == len(decoded)
    assert {(a.response_id, a.status) for a in out} == {(a.response_id, a.status) for a in alone}
    # links come in pairs: a steered response names its successor, which names it back
    for accs in (whole, out):
        assert sorted((a.response_id, a.steered_into) for a in accs if a.steered_into is not None) == sorted(
            (a.steered_from, a.response_id) for a in accs if a.steered_from is not None
        )
        assert all(a.steered and a.status == "incomplete" for a in accs if a.steered_into is not None)
        assert all(type(e) in STEERING for a in accs for e in a.steering)


# -- steering (issue #18): steer/inject events kept, a steered response linked to its successor -----------------


def _steer_lane(lane: str | None) -> list[dict[str, Any]]:
    """A steered response (a steer accepted after its first delta, an injected tool output, then
    ``response.incomplete`` reason ``steered``) and its successor on one lane. Numbers per response, from 0."""

    def resp(rid: str, status: str, **kw: Any) -> dict[str, Any]:
        return {"id": rid, "object": "response", "model": "gpt-5.2", "status": status, "output": [], **kw}

    def text(rid: str, mid: str, words: list[str], n: int) -> list[dict[str, Any]]:
        return [
            {
                "type": "response.output_item.added",
                "sequence_number": n,
                "output_index": 0,
                "item": {"type": "message", "id": mid, "role": "assistant", "status": "in_progress", "content": []},
            }
        ] + [
            {
                "type": "response.output_text.delta",
                "sequence_number": n + 1 + k,
                "item_id": mid,
                "output_index": 0,
                "content_index": 0,
                "delta": w,
            }
            for k, w in enumerate(words)
        ]

    evs = [
        {"type": "response.created", "sequence_number": 0, "response": resp("resp_s1", "in_progress")},
        *text("resp_s1", "msg_s1", ["Once", " upon"], 1),
        {
            "type": "response.steer.accepted",
            "sequence_number": 4,
            "steer": {"id": "steer_1", "previous_response_id": "resp_s1"},
        },
        {"type": "response.inject.created", "sequence_number": 5, "response_id": "resp_s1"},
        {
            "type": "response.inject.failed",
            "sequence_number": 6,
            "response_id": "resp_s1",
            "error": {"code": "invalid_input", "message": "not a tool output"},
            "input": [{"type": "message"}],
        },
        {
            "type": "response.incomplete",
            "sequence_number": 7,
            "response": resp("resp_s1", "incomplete", incomplete_details={"reason": "steered"}),
        },
        {
            "type": "response.created",
            "sequence_number": 0,
            "response": resp("resp_s2", "in_progress", previous_response_id="resp_s1"),
        },
        *text("resp_s2", "msg_s2", ["Short", "er."], 1),
        {
            "type": "response.completed",
            "sequence_number": 4,
            "response": resp("resp_s2", "completed", previous_response_id="resp_s1"),
        },
    ]
    return _with_lane(evs, lane)


def _after_completed(lane: str | None) -> list[dict[str, Any]]:
    """A response that stops for a client tool output while a steer is queued: ``response.steer.pending`` follows
    ``response.completed`` (its number continues the response's)."""
    resp = {"id": "resp_p1", "object": "response", "model": "gpt-5.2", "status": "in_progress", "output": []}
    evs = [
        {"type": "response.created", "sequence_number": 0, "response": resp},
        {
            "type": "response.output_text.delta",
            "sequence_number": 1,
            "item_id": "msg_p1",
            "output_index": 0,
            "content_index": 0,
            "delta": "Calling.",
        },
        {
            "type": "response.steer.accepted",
            "sequence_number": 2,
            "steer": {"id": "steer_9", "previous_response_id": "resp_p1"},
        },
        {"type": "response.completed", "sequence_number": 3, "response": dict(resp, status="completed")},
        {
            "type": "response.steer.pending",
            "sequence_number": 4,
            "reason": "waiting_for_required_input",
            "required_input": [{"type": "function_call_output", "call_id": "call_1"}],
            "steer": {"id": "steer_9", "previous_response_id": "resp_p1"},
        },
        {
            "type": "response.steer.failed",
            "sequence_number": 5,
            "error": {"code": "response_already_completed", "message": "too late", "type": "invalid_request_error"},
            "steer": {"input": "Stop.", "previous_response_id": "resp_p1"},
        },
    ]
    return _with_lane(evs, lane)


def _links(accs: list[orm.ResponseAccumulator]) -> list[tuple[Any, ...]]:
    return [
        (
            a.response_id,
            a.status,
            a.output_text,
            a.steered,
            a.steered_from,
            a.steered_into,
            [(e.type, getattr(e.steer, "id", None) if hasattr(e, "steer") else e.response_id) for e in a.steering],
            a.problems,
        )
        for a in accs
    ]


STEER_LINKS = [
    (
        "resp_s1",
        "incomplete",
        "Once upon",
        True,
        None,
        "resp_s2",
        [
            ("response.steer.accepted", "steer_1"),
            ("response.inject.created", "resp_s1"),
            ("response.inject.failed", "resp_s1"),
        ],
        [],
    ),
    ("resp_s2", "completed", "Shorter.", False, "resp_s1", None, [], []),
]
PENDING_LINKS = [
    (
        "resp_p1",
        "completed",
        "Calling.",
        False,
        None,
        None,
        [
            ("response.steer.accepted", "steer_9"),
            ("response.steer.pending", "steer_9"),
            ("response.steer.failed", None),
        ],
        [],
    )
]


def test_a_steered_response_and_its_successor_are_folded_apart_and_linked() -> None:
    accs = accumulate(_decode(_steer_lane(None)))
    assert _links(accs) == STEER_LINKS
    s1 = accs[0]
    assert all(
        type(e) in (orm.ResponseSteerAcceptedEvent, orm.ResponseInjectCreatedEvent, orm.ResponseInjectFailedEvent)
        for e in s1.steering
    )
    assert s1.steering[2].error is not None and s1.steering[2].error.code == "invalid_input"  # type: ignore[union-attr]
    assert s1.response is not None and s1.response.incomplete_details is not None
    assert s1.response.incomplete_details.reason == "steered"


def test_steer_pending_after_completed_is_kept_not_a_problem() -> None:
    """Fed to one accumulator (the old fold called it after_terminal) and cut from a log: the same."""
    acc = orm.ResponseAccumulator()
    acc.feed(_decode(_after_completed(None)))
    acc.close()
    assert _links([acc]) == PENDING_LINKS
    pending = acc.steering[1]
    assert isinstance(pending, orm.ResponseSteerPendingEvent)
    assert pending.reason == "waiting_for_required_input" and pending.required_input == (
        {"type": "function_call_output", "call_id": "call_1"},
    )
    assert acc.last_sequence_number == 5
    assert _links(accumulate(_decode(_after_completed(None)))) == PENDING_LINKS


def test_steering_on_interleaved_lanes_batch_by_batch() -> None:
    a, b = _steer_lane("lane-a"), _after_completed("lane-b")
    for seed in range(5):
        mixed = _decode(_interleave([a, b], random.Random(seed)))
        assert sorted(_links(accumulate(mixed)), key=repr) == sorted(STEER_LINKS + PENDING_LINKS, key=repr)
        for cut in (1, 3, len(mixed)):
            splitter = StreamSplitter()
            out = []
            for i in range(0, len(mixed), cut):
                out += splitter.feed(mixed[i : i + cut])
            assert sorted(_links(out + splitter.close()), key=repr) == sorted(STEER_LINKS + PENDING_LINKS, key=repr)


def test_only_a_steered_end_links_and_only_to_its_own_successor() -> None:
    evs = _steer_lane(None)
    other = [dict(e) for e in evs]
    assert other[7]["type"] == "response.incomplete" and other[8]["type"] == "response.created"
    other[7] = dict(other[7], response=dict(other[7]["response"], incomplete_details={"reason": "max_output_tokens"}))
    assert [(a.response_id, a.steered, a.steered_from, a.steered_into) for a in accumulate(_decode(other))] == [
        ("resp_s1", False, None, None),
        ("resp_s2", False, None, None),
    ]
    foreign = [dict(e) for e in evs]
    foreign[8] = dict(foreign[8], response=dict(foreign[8]["response"], previous_response_id="resp_elsewhere"))
    assert [(a.response_id, a.steered, a.steered_from, a.steered_into) for a in accumulate(_decode(foreign))] == [
        ("resp_s1", True, None, None),
        ("resp_s2", False, None, None),
    ]
    # fed to one accumulator, the successor's events (numbered from 0 again) are redeliveries, as before; the
    # steer events are kept and the steered response stays incomplete
    one = orm.ResponseAccumulator()
    one.feed(_decode(evs))
    assert [(p.kind, p.sequence_number) for p in one.problems] == [("duplicate", 0), ("other_response", 0)] + [
        ("duplicate", n) for n in range(1, 5)
    ]
    assert (one.status, one.output_text, one.steered, one.steered_into) == ("incomplete", "Once upon", True, None)
    assert [e.type for e in one.steering] == [
        "response.steer.accepted",
        "response.inject.created",
        "response.inject.failed",
    ]


def test_a_camelcase_invalid_event_goes_to_the_lane_its_bytes_name() -> None:
    """A camelCase log (``streamId``): an invalid event (``response: null``) on lane a stays in lane a's stream, as
    in the snake_case log (it used to form a stream of its own)."""

    def camel(x: Any) -> Any:
        if isinstance(x, dict):
            return {k.split("_")[0] + "".join(p.title() for p in k.split("_")[1:]): camel(v) for k, v in x.items()}
        return [camel(v) for v in x] if isinstance(x, list) else x

    lane_a, lane_b = _with_lane(STREAMS[0], "lane-a"), _with_lane(STREAMS[1], "lane-b")
    lane_a[1] = dict(lane_a[1], response=None)  # response.in_progress without its response: an InvalidEvent
    mixed = _interleave([lane_a, lane_b], random.Random(3))
    for naming, log in (("snake", mixed), ("camel", camel(mixed))):
        decoded = orm.Decoder(naming=naming).decode_lines(
            b"\n".join(json.dumps(e).encode() for e in log), errors="replace"
        )
        assert sum(isinstance(e, orm.InvalidEvent) for e in decoded) == 1
        accs = accumulate(decoded)
        assert [(a.response_id, a.events, [p.kind for p in a.problems]) for a in sorted(accs, key=repr)] == sorted(
            [
                (STREAMS[0][0]["response"]["id"], len(lane_a), ["invalid_event", "gap"]),
                (STREAMS[1][0]["response"]["id"], len(lane_b), []),
            ],
            key=repr,
        ), naming
