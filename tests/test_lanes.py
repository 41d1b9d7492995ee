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
    if _ev["type"] in ("response.created", "response.queued") and (not STREAMS or STREAMS[-1][-1]["type"] in (
            "response.completed", "response.failed", "response.incomplete")):
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
    return sorted(((a.response_id, a.status, a.output_text, a.events, tuple(sorted(a.arguments.items())),
                    len(a.problems)) for a in accs), key=repr)


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

OPS = ["drop", "dup", "swap", "truncate", "strip", "noseq", "rotate", "nolane"]


@st.composite
def _mutated_lanes(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[bytes]]:
    n = draw(st.integers(1, 4))
    picks = draw(st.lists(st.integers(0, len(STREAMS) - 1), min_size=n, max_size=n))
    lanes = [_with_lane(STREAMS[p], f"lane-{i}") for i, p in enumerate(picks)]
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
        case: tuple[list[dict[str, Any]], list[bytes]], cut: int) -> None:
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
