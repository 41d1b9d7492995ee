"""The accumulator on hand-written lines shaped like real traffic (issue #16): OpenAI streams of March-May 2025
without sequence_number, GitHub Copilot's rotating response and item ids, a background stream resumed with
``starting_after``, xAI's whole function calls, camelCase logs, and the fuzz findings of the issue. Lines are
written for these tests (minimal, invented ids) after the shapes in tools/observations.toml and public bug
reports (Copilot: BerriAI/litellm#30072, lidge-jun/opencodex#995; resumed streams: the background-mode docs)."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from helpers import camel_keys

import openresponses_msgspec as orm
from openresponses_msgspec import Problem, ResponseAccumulator, StreamSplitter, accumulate


def _lines(evs: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in evs)


def _fold(evs: list[dict[str, Any]], naming: str = "snake") -> ResponseAccumulator:
    acc = ResponseAccumulator()
    acc.feed(orm.Decoder(naming=naming).decode_lines(_lines(evs), errors="replace"))  # type: ignore[call-overload]
    acc.close()
    return acc


def _resp(
    rid: str, status: str, output: list[Any] | None = None, usage: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    r = {
        "id": rid,
        "object": "response",
        "created_at": 1741000000,
        "status": status,
        "model": "gpt-4o-2024-08-06",
        "output": output or [],
        "usage": usage,
    }
    r.update(kw)
    return r


def _usage(i: int, o: int) -> dict[str, Any]:
    return {
        "input_tokens": i,
        "output_tokens": o,
        "total_tokens": i + o,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }


def _message(mid: str, text: str, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "message",
        "id": mid,
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}] if text else [],
    }


def _text_stream(
    rid: str, mid: str, deltas: list[str], usage: dict[str, Any], seq: bool = True, status: str = "in_progress"
) -> list[dict[str, Any]]:
    text = "".join(deltas)
    part = {"type": "output_text", "text": "", "annotations": []}
    evs: list[dict[str, Any]] = [
        {"type": "response.created", "response": _resp(rid, status)},
        {"type": "response.in_progress", "response": _resp(rid, "in_progress")},
        {"type": "response.output_item.added", "output_index": 0, "item": _message(mid, "", "in_progress")},
        {"type": "response.content_part.added", "item_id": mid, "output_index": 0, "content_index": 0, "part": part},
        *(
            {"type": "response.output_text.delta", "item_id": mid, "output_index": 0, "content_index": 0, "delta": d}
            for d in deltas
        ),
        {"type": "response.output_text.done", "item_id": mid, "output_index": 0, "content_index": 0, "text": text},
        {
            "type": "response.content_part.done",
            "item_id": mid,
            "output_index": 0,
            "content_index": 0,
            "part": {**part, "text": text},
        },
        {"type": "response.output_item.done", "output_index": 0, "item": _message(mid, text)},
        {"type": "response.completed", "response": _resp(rid, "completed", [_message(mid, text)], usage)},
    ]
    if seq:
        for n, e in enumerate(evs):
            e["sequence_number"] = n
    return evs


UNSEQUENCED = "response.created without sequence_number: events are folded in arrival order, which could not be checked"


class TestOldOpenAIWithoutSequenceNumbers:
    """OpenAI, March-May 2025: no sequence_number on any event (feed raised TypeError on None + 1)."""

    def test_folds_in_arrival_order_and_says_so_once(self) -> None:
        evs = _text_stream("resp_67d1", "msg_67d1", ["The", " capital", " is", " Paris."], _usage(14, 5), seq=False)
        acc = _fold(evs)
        assert acc.status == "completed"
        assert acc.output_text == "The capital is Paris."
        assert acc.texts == {("msg_67d1", 0): "The capital is Paris."}
        assert acc.usage is not None and (acc.usage.input_tokens, acc.usage.output_tokens) == (14, 5)
        assert acc.problems == [Problem("unsequenced", None, UNSEQUENCED)]
        assert (acc.first_sequence_number, acc.last_sequence_number, acc.events) == (None, None, len(evs))

    def test_deltas_alone_without_done_events(self) -> None:
        """Old streams cut short: the text comes from the deltas (they all took the slow path)."""
        evs = _text_stream("resp_67d2", "msg_67d2", ["a", "b", "c"], _usage(1, 3), seq=False)[:7]
        acc = _fold(evs)
        assert (acc.status, acc.output_text, [p.kind for p in acc.problems]) == ("cut_short", "abc", ["unsequenced"])

    def test_one_old_stream_does_not_cost_the_log(self) -> None:
        """accumulate()/StreamSplitter over a log: old streams between numbered ones each fold on their own."""
        log = (
            _text_stream("resp_a", "msg_a", ["x"], _usage(1, 1))
            + _text_stream("resp_b", "msg_b", ["y", "z"], _usage(1, 2), seq=False)
            + _text_stream("resp_c", "msg_c", ["w"], _usage(1, 1))
        )
        accs = accumulate(orm.decode_lines(_lines(log)))
        assert [(a.response_id, a.status, a.output_text, [p.kind for p in a.problems]) for a in accs] == [
            ("resp_a", "completed", "x", []),
            ("resp_b", "completed", "yz", ["unsequenced"]),
            ("resp_c", "completed", "w", []),
        ]
        assert sum(a.events for a in accs) == len(log)


def _copilot(ids: list[str], item_ids: list[str]) -> list[dict[str, Any]]:
    """GitHub Copilot: a new response id on every response event, a new item id on every item event."""
    r, m = iter(ids), iter(item_ids)
    evs = _text_stream("x", "x", ["Hel", "lo", " world"], _usage(20, 3))
    for e in evs:
        if "response" in e:
            e["response"]["id"] = next(r)
            for item in e["response"]["output"]:
                item["id"] = next(m)
        elif "item" in e:
            e["item"]["id"] = next(m)
        else:
            e["item_id"] = next(m)
    return evs


class TestCopilotRotatingIds:
    def test_rotating_ids_fold_as_one_stream_and_are_reported_once(self) -> None:
        evs = _copilot(["resp_c1", "resp_c2", "resp_c3"], [f"msg_c{k}" for k in range(1, 10)])
        acc = _fold(evs)
        assert acc.status == "completed"  # the terminal event (another id) is folded, not filed as other_response
        assert acc.response_id == "resp_c1" and acc.response is not None and acc.response.id == "resp_c3"
        assert acc.output_text == "Hello world"
        assert acc.texts == {("msg_c1", 0): "Hello world"}  # filed under the item as added; no duplicate entry
        assert acc.usage is not None and acc.usage.total_tokens == 23
        assert acc.problems == [
            Problem(
                "id_changed",
                1,
                "response.in_progress names response resp_c2, the stream began as resp_c1: "
                "folded as one stream (reported once)",
            ),
            Problem(
                "item_id_changed",
                3,
                "response.content_part.added names item msg_c2, the item at "
                "output_index 0 is msg_c1: filed under msg_c1 (reported once)",
            ),
        ]

    def test_delta_done_mismatch_is_still_found_across_rotated_ids(self) -> None:
        evs = _copilot(["resp_d1", "resp_d2", "resp_d3"], [f"msg_d{k}" for k in range(1, 10)])
        evs[7]["text"] = "Hello there"  # the output_text.done (another item id again)
        acc = _fold(evs)
        assert [p.kind for p in acc.problems] == ["id_changed", "item_id_changed", "delta_mismatch"]
        assert acc.texts == {("msg_d1", 0): "Hello there"}

    def test_a_log_of_copilot_streams_is_cut_at_each_start(self) -> None:
        log = _copilot(["resp_e1", "resp_e2", "resp_e3"], [f"m{k}" for k in range(9)]) + _copilot(
            ["resp_f1", "resp_f2", "resp_f3"], [f"n{k}" for k in range(9)]
        )
        accs = accumulate(orm.decode_lines(_lines(log)))
        assert [(a.response_id, a.status, a.output_text, a.events) for a in accs] == [
            ("resp_e1", "completed", "Hello world", 11),
            ("resp_f1", "completed", "Hello world", 11),
        ]


def _background() -> list[dict[str, Any]]:
    """A background response: created (queued), queued, in_progress, ..., completed: sequence numbers 0-12."""
    evs = _text_stream("resp_bg", "msg_bg", ["Once", " upon", " a time"], _usage(58, 342), seq=False, status="queued")
    evs.insert(1, {"type": "response.queued", "response": _resp("resp_bg", "queued")})
    for n, e in enumerate(evs):
        e["sequence_number"] = n
    return evs


class TestResumedStream:
    """GET /responses/{id}?stream=true&starting_after=1: the first event has sequence number 2."""

    def test_fed_alone_it_says_where_it_resumed(self) -> None:
        evs = _background()[2:]
        acc = _fold(evs)
        assert (acc.status, acc.output_text, acc.resumed_at, acc.first_sequence_number) == (
            "completed",
            "Once upon a time",
            2,
            2,
        )
        assert acc.usage is not None and acc.usage.output_tokens == 342
        assert acc.problems == [
            Problem(
                "resumed",
                2,
                "the stream starts at sequence number 2 (response.in_progress), without its start: resumed after 1",
            )
        ]
        [alone] = accumulate(orm.decode_lines(_lines(evs)))  # never dropped when cut from a log
        assert (alone.status, alone.resumed_at, alone.events) == ("completed", 2, len(evs))

    def test_fed_after_its_prefix_it_joins_without_double_counting(self) -> None:
        evs = _background()
        acc = ResponseAccumulator()
        acc.feed(orm.decode_lines(_lines(evs[:2])))
        assert acc.status == "queued"
        acc.feed(orm.decode_lines(_lines(evs[2:])))
        acc.close()
        assert (acc.status, acc.output_text, acc.resumed_at, acc.problems, acc.events) == (
            "completed",
            "Once upon a time",
            None,
            [],
            len(evs),
        )

    def test_an_overlapping_resume_folds_each_event_once(self) -> None:
        """Resumed after 3 while 0-5 were folded: 4 and 5 come again and are not folded twice."""
        evs = _background()
        acc = ResponseAccumulator()
        acc.feed(orm.decode_lines(_lines(evs[:6])))
        acc.feed(orm.decode_lines(_lines(evs[4:])))
        acc.close()
        assert acc.texts == {("msg_bg", 0): "Once upon a time"}
        assert [(p.kind, p.sequence_number) for p in acc.problems] == [("duplicate", 4), ("duplicate", 5)]
        assert acc.status == "completed"

    def test_its_prefix_arriving_late_is_out_of_order(self) -> None:
        evs = _background()
        acc = _fold(evs[2:5] + evs[:2] + evs[5:])
        assert [(p.kind, p.sequence_number) for p in acc.problems] == [
            ("resumed", 2),
            ("out_of_order", 0),
            ("out_of_order", 1),
        ]
        assert (acc.status, acc.output_text, acc.resumed_at) == ("completed", "Once upon a time", 2)

    def test_in_a_log_after_another_stream_it_folds_on_its_own(self) -> None:
        """A log: one stream, then a resumed one (no start event). Its first event names an item the ended
        stream never had: it begins the next stream (before, its events were filed as after_terminal)."""
        first = _text_stream("resp_a", "msg_a", ["x", "y"], _usage(1, 2))
        resumed = _background()[2:]
        accs = accumulate(orm.decode_lines(_lines(first + resumed)))
        assert [
            (a.response_id, a.status, a.output_text, a.resumed_at, [p.kind for p in a.problems], a.events) for a in accs
        ] == [
            ("resp_a", "completed", "xy", None, [], len(first)),
            ("resp_bg", "completed", "Once upon a time", 2, ["resumed"], len(resumed)),
        ]

    def test_a_redelivered_tail_stays_in_its_stream(self) -> None:
        """The same log with the first stream's last events delivered twice: no stream is invented."""
        first = _text_stream("resp_a", "msg_a", ["x", "y"], _usage(1, 2))
        [acc] = accumulate(orm.decode_lines(_lines(first + first[-3:])))
        assert (acc.status, acc.output_text, acc.events) == ("completed", "xy", len(first) + 3)
        assert [(p.kind, p.sequence_number) for p in acc.problems] == [
            ("duplicate", 7),
            ("duplicate", 8),
            ("duplicate", 9),
        ]


class TestWholeItems:
    """xAI sends a function call whole, in output_item.added/.done, with no argument deltas."""

    CALL = {
        "type": "function_call",
        "id": "fc_x1",
        "call_id": "call_x1",
        "name": "get_weather",
        "arguments": '{"city":"Oslo"}',
        "status": "completed",
    }

    def _stream(self, item: dict[str, Any], terminal: bool = True) -> list[dict[str, Any]]:
        evs = [
            {"type": "response.created", "response": _resp("resp_x1", "in_progress", model="grok-4")},
            {"type": "response.in_progress", "response": _resp("resp_x1", "in_progress", model="grok-4")},
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            {"type": "response.output_item.done", "output_index": 0, "item": item},
        ]
        if terminal:
            evs.append(
                {
                    "type": "response.completed",
                    "response": _resp("resp_x1", "completed", [item], _usage(900, 80), model="grok-4"),
                }
            )
        for n, e in enumerate(evs):
            e["sequence_number"] = n
        return evs

    def test_function_call_arguments_from_the_item(self) -> None:
        acc = _fold(self._stream(self.CALL))
        assert acc.arguments == {"fc_x1": '{"city":"Oslo"}'}
        assert (acc.status, acc.model, acc.problems) == ("completed", "grok-4", [])

    def test_without_a_terminal_output_and_from_added_alone(self) -> None:
        acc = _fold(self._stream(self.CALL, terminal=False)[:3])  # output_item.added only, cut short
        assert acc.arguments == {"fc_x1": '{"city":"Oslo"}'} and acc.status == "cut_short"
        assert [i.type for i in acc.output] == ["function_call"]

    @pytest.mark.parametrize(
        ("item", "prop", "want"),
        [
            (
                {"type": "custom_tool_call", "id": "ctc_1", "call_id": "c1", "name": "grep", "input": "TODO"},
                "tool_inputs",
                {"ctc_1": "TODO"},
            ),
            (
                {"type": "mcp_call", "id": "mcp_1", "server_label": "deepwiki", "name": "ask", "arguments": '{"q":1}'},
                "arguments",
                {"mcp_1": '{"q":1}'},
            ),
            (
                {
                    "type": "web_search_call",
                    "id": "ws_x1",
                    "status": "completed",
                    "name": "web_search",
                    "call_id": "call_x1",
                    "arguments": '{"query":"oslo"}',
                },
                "arguments",
                {"ws_x1": '{"query":"oslo"}'},
            ),
        ],
    )
    def test_other_items_with_arguments_or_input(self, item: dict[str, Any], prop: str, want: dict[str, str]) -> None:
        acc = _fold(self._stream(item))
        assert getattr(acc, prop) == want and acc.problems == []

    def test_deltas_win_over_an_empty_added_item(self) -> None:
        evs = self._stream({**self.CALL, "arguments": ""}, terminal=False)[:3]
        evs.append(
            {
                "type": "response.function_call_arguments.delta",
                "sequence_number": 3,
                "item_id": "fc_x1",
                "output_index": 0,
                "delta": '{"a":1}',
            }
        )
        assert _fold(evs).arguments == {"fc_x1": '{"a":1}'}


def _state(a: ResponseAccumulator) -> tuple[Any, ...]:
    usage = a.usage
    return (
        a.response_id,
        a.status,
        a.events,
        a.output_text,
        a.texts,
        a.summaries,
        a.arguments,
        a.partial_images,
        None if usage is None else usage.total_tokens,
        a.problems,
        len(a.output),
        [getattr(i, "type", None) for i in a.output],
    )


@pytest.mark.parametrize("kind", ["text", "reasoning", "mixed", "image"])
def test_camel_named_results_fold_like_snake_ones(kind: str) -> None:
    """Decoder(naming="camel") returns subclasses of the wire classes: folded exactly as the snake ones."""
    evs = orm.corpus.events(kind, 400 if kind != "image" else 24)
    snake = accumulate(orm.decode_lines(orm.corpus.ndjson(evs)))
    camel = accumulate(orm.Decoder(naming="camel").decode_lines(orm.corpus.ndjson([camel_keys(e) for e in evs])))
    assert [_state(a) for a in camel] == [_state(a) for a in snake]
    assert all(a.status in ("completed", "cut_short") for a in camel) and camel[0].status == "completed"


def test_camel_copilot_and_old_streams() -> None:
    for evs in (
        _copilot(["r1", "r2", "r3"], [f"i{k}" for k in range(9)]),
        _text_stream("resp_o", "msg_o", ["a", "b"], _usage(1, 2), seq=False),
    ):
        assert _state(_fold([camel_keys(e) for e in evs], naming="camel")) == _state(_fold(evs))


class TestFuzzFindings:
    """Each finding of the issue's fuzz, as a line-level case with exact results."""

    def _base(self) -> list[dict[str, Any]]:
        return _text_stream("resp_z", "msg_z", ["ab", "cd"], _usage(3, 2))

    def test_done_without_its_text_after_deltas(self) -> None:
        evs = self._base()
        del evs[6]["text"]  # output_text.done
        acc = _fold(evs)
        assert acc.texts == {("msg_z", 0): "abcd"}
        assert acc.problems == [Problem("missing_field", 6, "response.output_text.done without text")]

    def test_summary_done_without_text_and_without_deltas(self) -> None:
        evs = [
            {
                "type": "response.reasoning_summary_text.done",
                "sequence_number": 0,
                "item_id": "rs_1",
                "output_index": 0,
                "summary_index": 0,
            }
        ]
        acc = _fold(evs)
        assert acc.summaries == {} and acc.output == ()
        assert [p.kind for p in acc.problems] == ["missing_field"]

    def test_deltas_without_indices_or_item_id(self) -> None:
        evs = self._base()
        for e in evs[4:6]:
            del e["content_index"], e["output_index"]
        evs.insert(6, {"type": "response.reasoning_summary_text.delta", "sequence_number": 99, "delta": "x"})
        acc = _fold(evs[:7])  # no .done events: everything read comes from the deltas
        assert acc.texts == {("msg_z", 0): "abcd"}
        assert acc.summaries == {("", 0): "x"}
        assert acc.response is not None and acc.output_text == "abcd"
        assert [p.message for p in acc.problems if p.kind == "missing_field"] == [
            "response.output_text.delta without content_index",
            "response.reasoning_summary_text.delta without item_id",
            "response.reasoning_summary_text.delta without summary_index",
        ]

    @pytest.mark.parametrize("index", [-1, 10**7])
    def test_any_summary_index_allocates_nothing(self, index: int) -> None:
        evs = [
            {
                "type": "response.output_item.added",
                "sequence_number": 0,
                "output_index": 0,
                "item": {"type": "reasoning", "id": "rs_1", "summary": []},
            },
            {
                "type": "response.reasoning_summary_text.delta",
                "sequence_number": 1,
                "item_id": "rs_1",
                "output_index": 0,
                "summary_index": 0,
                "delta": "first",
            },
            {
                "type": "response.reasoning_summary_text.delta",
                "sequence_number": 2,
                "item_id": "rs_1",
                "output_index": 0,
                "summary_index": index,
                "delta": "odd",
            },
        ]
        acc = _fold(evs)
        assert acc.summaries == dict(
            sorted({("rs_1", 0): "first", ("rs_1", index): "odd"}.items(), key=lambda kv: kv[0][1])
        )
        [item] = acc.output
        assert [p.text for p in item.summary] == (["odd", "first"] if index < 0 else ["first", "odd"])

    @pytest.mark.parametrize(
        "item",
        [
            {"type": "a_future_call", "id": "fc_1"},  # UnknownValue
            {"type": "function_call", "id": "fc_1", "name": 5},  # InvalidValue
            None,
        ],
    )
    def test_deltas_after_an_unknown_or_invalid_item(self, item: Any) -> None:
        evs = [
            {"type": "response.output_item.added", "sequence_number": 0, "output_index": 0, "item": item},
            {
                "type": "response.function_call_arguments.delta",
                "sequence_number": 1,
                "item_id": "fc_1",
                "output_index": 0,
                "delta": "{}",
            },
            {
                "type": "response.custom_tool_call_input.delta",
                "sequence_number": 2,
                "item_id": "fc_1",
                "output_index": 0,
                "delta": "in",
            },
            {
                "type": "response.code_interpreter_call_code.delta",
                "sequence_number": 3,
                "item_id": "fc_1",
                "output_index": 0,
                "delta": "1+1",
            },
        ]
        acc = _fold(evs)
        assert acc.arguments == {"fc_1": "{}"} and acc.tool_inputs == {"fc_1": "in"}
        kept = [type(i).__name__ for i in acc.output]
        assert (
            kept
            == {None: [], "a_future_call": ["UnknownValue"], "function_call": ["InvalidValue"]}[
                None if item is None else item["type"]
            ]
        )
        assert [p.kind for p in acc.problems] == (["invalid_value"] if kept == ["InvalidValue"] else [])

    def test_redelivered_numbers_after_many_gaps_are_linear(self) -> None:
        """Every other number missing (20,000 gaps), then everything redelivered: each late number is found
        in its gap by bisection, each repeat is a duplicate (30.6 s before, with a scan per event)."""
        n = 40_000
        line = (
            b'{"type":"response.output_text.delta","sequence_number":%d,"item_id":"m","output_index":0,'
            b'"content_index":0,"delta":"x"}\n'
        )
        first = b"".join(line % s for s in range(0, n, 2))
        again = b"".join(line % s for s in range(n))
        acc = ResponseAccumulator()
        acc.feed(orm.decode_lines(first))
        acc.feed(orm.decode_lines(again))
        kinds = [p.kind for p in acc.problems]
        assert (kinds.count("gap"), kinds.count("out_of_order"), kinds.count("duplicate")) == (
            n // 2 - 1,
            n // 2 - 1,
            n // 2,
        )  # (39,999 is no gap: it comes in order after 39,998)
        assert acc.texts == {("m", 0): "x" * n}  # every number folded once
        assert acc.last_sequence_number == n - 1

    def test_response_with_ten_thousand_items(self) -> None:
        line = (
            b'{"type":"response.output_item.added","sequence_number":%d,"output_index":%d,'
            b'"item":{"type":"message","id":"m%d","role":"assistant","status":"in_progress","content":[]}}\n'
        )
        n = 10_000
        acc = ResponseAccumulator()
        acc.feed(orm.decode_lines(b"".join(line % (k, n - 1 - k, n - 1 - k) for k in range(n))))
        out = acc.output
        assert [i.id for i in out] == [f"m{k}" for k in range(n)]

    def test_mismatch_position_in_long_texts(self) -> None:
        text = "abcdefgh" * 500_000  # 4 MB
        evs = [
            {
                "type": "response.output_text.delta",
                "sequence_number": 0,
                "item_id": "m",
                "output_index": 0,
                "content_index": 0,
                "delta": text,
            },
            {
                "type": "response.output_text.done",
                "sequence_number": 1,
                "item_id": "m",
                "output_index": 0,
                "content_index": 0,
                "text": text[:3_000_001] + "X" + text[3_000_002:],
            },
        ]
        [p] = _fold(evs).problems
        assert p.kind == "delta_mismatch" and "from character 3000001: 'bcdefghabcdefghabcdef...' vs 'X" in p.message


def test_a_duplicate_is_not_folded_twice() -> None:
    """A redelivered delta (Kafka at least once) used to be appended a second time: the text doubled."""
    evs = _text_stream("resp_k", "msg_k", ["one", " two"], _usage(1, 2))
    evs.insert(6, evs[5])
    acc = _fold(evs)
    assert acc.texts == {("msg_k", 0): "one two"}
    assert acc.problems == [
        Problem("duplicate", 5, "sequence number 5 seen before (response.output_text.delta): not folded again")
    ]


def test_values_that_are_not_events_are_counted() -> None:
    """A Kafka tombstone (None), bytes, a dict: counted, not folded, never raised on."""
    acc = ResponseAccumulator()
    for v in (None, b"{}", {"type": "response.created"}, 7):
        acc.feed(v)
    acc.feed([None, None])
    acc.close()
    assert (acc.events, acc.problems, acc.status) == (6, [], "cut_short")


def test_lanes_are_found_by_the_fold_itself() -> None:
    """StreamSplitter folds one lane until an event names a lane (the fold looks, in its slow path and in the
    hot path's check: no pass over the batch before it), then routes the rest by _lane_keys: two interleaved
    WebSocket streams, after a stream with no lane, fold apart, batch by batch, wherever the batches are cut."""
    plain = _text_stream("resp_p", "msg_p", ["p"], _usage(1, 1))
    a = [dict(e, stream_id="a") for e in _text_stream("resp_la", "msg_la", ["a1", "a2"], _usage(1, 2))]
    b = [dict(e, stream_id="b") for e in _text_stream("resp_lb", "msg_lb", ["b1", "b2", "b3"], _usage(1, 3))]
    mixed = plain + [e for pair in zip(a, b, strict=False) for e in pair] + b[len(a) :]
    events = orm.decode_lines(_lines(mixed))
    want = [
        ("resp_la", "a1a2", "completed", []),
        ("resp_lb", "b1b2b3", "completed", []),
        ("resp_p", "p", "completed", []),
    ]
    for cut in (0, 5, len(plain), len(plain) + 3, 20):
        sp = orm.StreamSplitter()
        got = sp.feed(events[:cut]) + sp.feed(events[cut:]) + sp.close()
        assert sorted((x.response_id, x.output_text, x.status, x.problems) for x in got) == want, cut
    assert sorted((x.response_id, x.output_text) for x in accumulate(events)) == [w[:2] for w in want]


def test_keepalive_says_nothing_about_the_response() -> None:
    """OpenAI's `keepalive` (a known event since it was observed): numbered, but it neither starts a queued
    response nor counts as an event after the terminal one."""
    evs = [
        {"type": "response.queued", "sequence_number": 0, "response": _resp("resp_q", "queued")},
        {"type": "keepalive", "sequence_number": 1},
        {"type": "response.completed", "sequence_number": 3, "response": _resp("resp_q", "completed")},
        {"type": "keepalive", "sequence_number": 4},
    ]
    acc = ResponseAccumulator()
    decoded = orm.decode_lines(_lines(evs))
    acc.feed(decoded[:2])
    assert acc.status == "queued"
    acc.feed(decoded[2:])
    assert acc.status == "completed" and acc.last_sequence_number == 4
    assert acc.problems == [Problem("gap", 3, "sequence numbers 2 missing before 3")]


class TestCollector:
    """Folding a batch keeps the garbage collector out of the way (issue #16: one full collection of a large
    heap cost more than the whole fold, and each call allocated ~37k collector-counted containers)."""

    @pytest.mark.slow
    def test_few_collector_counted_objects_per_stream(self) -> None:
        events = orm.decode_lines(orm.corpus.ndjson(orm.corpus.events("mixed", 20_000)))
        was = gc.isenabled()
        gc.disable()
        try:
            gc.collect()
            before = gc.get_count()[0]
            accs = accumulate(events)
            allocated = gc.get_count()[0] - before
        finally:
            if was:
                gc.enable()
        assert len(accs) > 500
        assert allocated / len(accs) < 5  # (the accumulator and its slots are untracked Structs)

    def test_a_large_fold_pauses_the_collector_and_leaves_it_as_found(self) -> None:
        """A probe event in the batch reads gc.isenabled() while the fold runs: paused for a large batch (no
        collection can land inside the fold), running for a small one (a worker's messages), and as found
        afterwards (a collector the caller disabled stays disabled)."""
        events = orm.decode_lines(orm.corpus.ndjson(orm.corpus.events("mixed", 5_000)))
        seen: list[bool] = []

        class Probe(orm.UnknownEvent):
            __slots__ = ()

            def __init__(self) -> None:
                self.type = "probe"

            @property
            def raw(self) -> bytes:  # type: ignore[override]
                seen.append(gc.isenabled())
                return b"{}"

        big = [*events[:2500], Probe(), *events[2500:]]
        assert gc.isenabled()
        accumulate(big)
        StreamSplitter().feed(big)
        ResponseAccumulator().feed(big)
        ResponseAccumulator().feed(iter(big))
        assert len(seen) >= 4 and not any(seen) and gc.isenabled()  # (read at least once per fold)
        seen.clear()
        accumulate([*events[:100], Probe()])
        ResponseAccumulator().feed(Probe())
        assert len(seen) >= 2 and all(seen)
        seen.clear()
        gc.disable()
        try:
            accumulate(big)
            assert seen and not any(seen) and not gc.isenabled()
        finally:
            gc.enable()


def test_an_unknown_item_id_is_resolved_once() -> None:
    """An item id that names no output item is filed where its first event went, whatever its later events'
    output_index says: folding one event per call (the slow path) equals one batch (the hot path). Found by the
    state machine: the first delta lacked output_index (kept its own id), the next ones had it (filed under the
    item at that index)."""
    evs = [
        {"type": "response.created", "sequence_number": 0, "response": _resp("resp_u", "in_progress")},
        {
            "type": "response.output_item.added",
            "sequence_number": 1,
            "output_index": 0,
            "item": _message("msg_a", "", "in_progress"),
        },
        {
            "type": "response.output_text.delta",
            "sequence_number": 2,
            "item_id": "msg_b",
            "content_index": 0,
            "delta": "a",
        },
        {
            "type": "response.output_text.delta",
            "sequence_number": 3,
            "item_id": "msg_b",
            "output_index": 0,
            "content_index": 0,
            "delta": "b",
        },
        {
            "type": "response.output_text.delta",
            "sequence_number": 4,
            "item_id": "msg_b",
            "output_index": 0,
            "content_index": 0,
            "delta": "c",
        },
    ]
    decoded = orm.decode_lines(_lines(evs))
    batch, single = ResponseAccumulator(), ResponseAccumulator()
    batch.feed(decoded)
    for ev in decoded:
        single.feed(ev)
    assert batch.texts == single.texts == {("msg_b", 0): "abc"}
    assert batch.problems == single.problems == []


def test_raw_pairs_fold_as_their_events() -> None:
    """``raw=True`` results (Framed pairs) fold exactly as the events they hold: a batch, one pair at a time, and
    through accumulate()/StreamSplitter (they were silently not folded: a completed stream read cut_short)."""
    import openresponses_msgspec as orm

    data = orm.corpus.ndjson(orm.corpus.events("text", 400))
    plain = orm.accumulate(orm.decode_lines(data))
    framed = orm.accumulate(orm.decode_lines(data, raw=True))
    assert [(a.response_id, a.status, a.output_text, a.usage, a.problems) for a in framed] == [
        (a.response_id, a.status, a.output_text, a.usage, a.problems) for a in plain
    ]
    assert plain[0].status == "completed" and plain[0].output_text
    one = orm.ResponseAccumulator()
    for pair in orm.decode_lines(data, raw=True)[: plain[0].events]:
        one.feed(pair)
    assert (one.status, one.output_text, one.usage) == (plain[0].status, plain[0].output_text, plain[0].usage)
    split = orm.StreamSplitter().feed(orm.decode_lines(data, raw=True))
    assert [a.output_text for a in split] == [a.output_text for a in plain[: len(split)]]
