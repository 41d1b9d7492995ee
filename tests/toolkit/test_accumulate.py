"""ResponseAccumulator / accumulate: the folded state equals what the stream's own .done events and the corpus
source say; gaps, duplicates and late events are found where they were inserted."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from openresponses_msgspec import (
    PROBLEM_KINDS,
    Problem,
    ResponseAccumulator,
    accumulate,
    corpus,
    decode,
    decode_lines,
    decode_sse,
)


def _streams(kind: str, n: int) -> list[list[dict[str, Any]]]:
    """The corpus's source dicts, cut into streams at response.created."""
    out: list[list[dict[str, Any]]] = []
    for ev in corpus.events(kind, n):
        if ev["type"] == "response.created":
            out.append([])
        out[-1].append(ev)
    return out


def _decode(evs: list[dict[str, Any]]) -> list[Any]:
    return decode_lines(corpus.ndjson(evs), errors="replace")


def _fold(evs: list[dict[str, Any]], close: bool = True) -> ResponseAccumulator:
    acc = ResponseAccumulator()
    acc.feed(_decode(evs))
    if close:
        acc.close()
    return acc


def _joined(evs: list[dict[str, Any]], tag: str, item_id: str) -> str:
    return "".join(e["delta"] for e in evs if e["type"] == tag and e["item_id"] == item_id)


class TestFoldsTheCorpus:
    @pytest.mark.parametrize("kind", ["text", "reasoning", "mixed", "image"])
    def test_accumulate_one_accumulator_per_stream(self, kind: str) -> None:
        """accumulate() cuts a log of many streams at response.created; every stream completes cleanly."""
        n = 3000 if kind != "image" else 60
        streams = _streams(kind, n)
        accs = accumulate(_decode([e for s in streams for e in s]))
        assert len(accs) == len(streams)
        assert [a.response_id for a in accs] == [s[0]["response"]["id"] for s in streams]
        assert [a.events for a in accs] == [len(s) for s in streams]
        complete = [(a, s) for a, s in zip(accs, streams, strict=True) if s[-1]["type"] == "response.completed"]
        assert all(a.status == "completed" for a, _ in complete)
        for a, s in complete:
            # the mixed corpus numbers its inserted keep-alive and future events in line with their stream
            # (unknown events with a sequence number join the check): every stream is clean
            assert [e["sequence_number"] for e in s] == list(range(len(s)))
            assert a.problems == []
        assert accs[-1].status in ("completed", "cut_short")

    def test_text_equals_done_text_and_source(self) -> None:
        """Per item text = the output_text.done text = the corpus's deltas joined; output_text = the terminal's."""
        for evs in _streams("text", 1500)[:-1]:
            acc = _fold(evs)
            done = [e for e in evs if e["type"] == "response.output_text.done"]
            assert len(done) == 1
            item_id = done[0]["item_id"]
            assert acc.texts == {(item_id, 0): done[0]["text"]}
            assert acc.texts[(item_id, 0)] == _joined(evs, "response.output_text.delta", item_id)
            final = evs[-1]["response"]["output"][0]["content"][0]["text"]
            assert acc.output_text == final == done[0]["text"]
            assert acc.usage is not None and acc.usage.output_tokens == evs[-1]["response"]["usage"]["output_tokens"]
            assert acc.first_sequence_number == 0 and acc.last_sequence_number == len(evs) - 1

    def test_reasoning_and_arguments(self) -> None:
        """Reasoning summaries and function-call arguments equal their .done values and the source deltas."""
        for evs in _streams("reasoning", 600)[:-1]:
            acc = _fold(evs)
            args = next(e for e in evs if e["type"] == "response.function_call_arguments.done")
            summ = next(e for e in evs if e["type"] == "response.reasoning_summary_text.done")
            assert acc.arguments == {args["item_id"]: args["arguments"]}
            assert json.loads(acc.arguments[args["item_id"]])["unit"] == "celsius"
            assert acc.arguments[args["item_id"]] == _joined(
                evs, "response.function_call_arguments.delta", args["item_id"]
            )
            assert acc.summaries == {(summ["item_id"], 0): summ["text"]}
            assert acc.output_text == ""
            assert acc.problems == []

    def test_last_partial_image(self) -> None:
        evs = _streams("image", 30)[0]
        acc = _fold(evs)
        last = [e for e in evs if e["type"] == "response.image_generation_call.partial_image"][-1]
        assert acc.partial_images == {last["item_id"]: last["partial_image_b64"]}


class TestRebuild:
    def _without_output(self, evs: list[dict[str, Any]], drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        evs = copy.deepcopy([e for e in evs if e["type"] not in drop])
        evs[-1]["response"]["output"] = []
        return evs

    @pytest.mark.parametrize("kind", ["text", "reasoning", "image"])
    def test_terminal_without_output_rebuilt_from_item_done(self, kind: str) -> None:
        """A terminal event whose output is empty: the output is rebuilt from output_item.done, equal to the
        output the complete stream carries."""
        evs = _streams(kind, 600 if kind != "image" else 30)[0]
        whole = decode(corpus.ndjson([evs[-1]]))
        acc = _fold(self._without_output(evs))
        assert acc.status == "completed"
        assert acc.response is not None
        assert acc.response.output == whole.response.output
        assert acc.response.id == whole.response.id and acc.response.usage == whole.response.usage

    def test_rebuilt_from_deltas_alone(self) -> None:
        """Without any .done event the text comes from the deltas and part/item shells from the .added events."""
        evs = _streams("text", 600)[1]
        drop = ("response.output_text.done", "response.content_part.done", "response.output_item.done")
        acc = _fold(self._without_output(evs, drop))
        source = _joined(evs, "response.output_text.delta", evs[2]["item"]["id"])
        assert acc.output_text == source
        assert acc.response is not None
        item = acc.response.output[0]
        assert item.type == "message" and item.id == evs[2]["item"]["id"] and item.content[0].text == source

    def test_rebuilt_reasoning_and_call_from_deltas(self) -> None:
        evs = _streams("reasoning", 600)[0]
        drop = (
            "response.reasoning_summary_text.done",
            "response.reasoning_summary_part.done",
            "response.function_call_arguments.done",
            "response.output_item.done",
        )
        acc = _fold(self._without_output(evs, drop))
        rs, fc = acc.output
        assert rs.type == "reasoning" and rs.summary[0].text == _joined(
            evs, "response.reasoning_summary_text.delta", rs.id
        )
        assert fc.type == "function_call" and fc.arguments == _joined(
            evs, "response.function_call_arguments.delta", fc.id
        )
        assert json.loads(fc.arguments)["unit"] == "celsius"

    def test_state_at_any_moment(self) -> None:
        """Read mid-stream: status in_progress, text so far; after close without a terminal: cut_short."""
        evs = _streams("text", 600)[0]
        acc = ResponseAccumulator()
        decoded = _decode(evs)
        acc.feed(decoded[:50])
        assert acc.status == "in_progress"
        item_id = evs[2]["item"]["id"]
        deltas = [e["delta"] for e in evs[:50] if e["type"] == "response.output_text.delta"]
        assert acc.output_text == "".join(deltas) and len(deltas) == 46
        acc.feed(decoded[50:100])
        assert acc.texts[(item_id, 0)] == "".join(e["delta"] for e in evs[:100] if "delta" in e)
        acc.close()
        assert acc.status == "cut_short"
        assert acc.response is not None and acc.response.status == "in_progress"
        with pytest.raises(ValueError, match="after close"):
            acc.feed(decoded[100:])

    def test_feed_one_by_one_equals_batch(self) -> None:
        evs = _streams("mixed", 400)[0:4]
        flat = _decode([e for s in evs for e in s][:200])
        a, b = ResponseAccumulator(), ResponseAccumulator()
        a.feed(flat[:60])
        for ev in flat[:60]:
            b.feed(ev)
        assert (a.output_text, a.texts, a.status, a.problems) == (b.output_text, b.texts, b.status, b.problems)


class TestProblems:
    def test_gap_found_where_inserted(self) -> None:
        evs = _streams("text", 600)[0]
        del evs[40:43]  # sequence numbers 40, 41, 42
        acc = _fold(evs)
        assert acc.problems[0] == Problem("gap", 43, "sequence numbers 40-42 missing before 43")
        kinds = [p.kind for p in acc.problems]
        assert kinds == ["gap", "delta_mismatch"]  # the deltas no longer add up to the .done text
        assert acc.status == "completed"
        done = next(e for e in evs if e["type"] == "response.output_text.done")
        assert acc.output_text == done["text"]  # the .done text wins

    def test_duplicate_and_out_of_order(self) -> None:
        evs = _streams("text", 600)[0]
        evs.insert(30, evs[20])  # a re-sent event
        evs[50], evs[51] = evs[51], evs[50]  # seq 50 and 49 swapped (after the insert, index 50 holds seq 49)
        acc = _fold(evs)
        got = [(p.kind, p.sequence_number) for p in acc.problems]
        assert got[:3] == [("duplicate", 20), ("gap", 50), ("out_of_order", 49)]
        assert [k for k, _ in got[3:]] == ["delta_mismatch"]
        assert acc.status == "completed" and acc.events == len(evs)

    def test_events_after_terminal_are_tolerated(self) -> None:
        """response.rate_limits.updated (OpenAI; unknown here) after response.completed, then an error and a
        delta: no failure, nothing folded, the known events reported; the unknown one's number is checked."""
        evs = _streams("text", 600)[0]
        n = len(evs)
        tail = [
            {"type": "response.rate_limits.updated", "sequence_number": n, "rate_limits": []},
            {"type": "error", "code": "server_error", "message": "late", "param": None, "sequence_number": n + 1},
            {
                "type": "response.output_text.delta",
                "item_id": "m",
                "output_index": 0,
                "content_index": 0,
                "delta": "x",
                "logprobs": [],
                "sequence_number": n + 2,
            },
        ]
        acc = _fold(evs + tail)
        assert acc.status == "completed"
        assert [e.message for e in acc.errors] == ["late"]
        assert [(p.kind, p.sequence_number) for p in acc.problems] == [
            ("after_terminal", n + 1),
            ("after_terminal", n + 2),
        ]
        assert acc.output_text == evs[-1]["response"]["output"][0]["content"][0]["text"]

    def test_invalid_event_reported(self) -> None:
        evs = _streams("text", 600)[0]
        data = corpus.ndjson(evs[:10]) + b'{"type":"response.output_text.delta",\n' + corpus.ndjson(evs[10:])
        acc = ResponseAccumulator()
        acc.feed(decode_lines(data, errors="replace"))
        assert acc.problems[0].kind == "invalid_event" and acc.problems[0].message.startswith("line 11:")
        assert all(p.kind in PROBLEM_KINDS for p in acc.problems)


def _resp(rid: str, status: str, **kw: Any) -> dict[str, Any]:
    r = corpus._response(rid, status, [])
    r.update(kw)
    return r


class TestStatuses:
    @pytest.mark.parametrize(
        ("tag", "status", "expected"),
        [
            ("response.failed", "failed", "failed"),
            ("response.incomplete", "incomplete", "incomplete"),
            ("response.failed", "cancelled", "cancelled"),
            ("response.completed", "completed", "completed"),
        ],
    )
    def test_terminal_status(self, tag: str, status: str, expected: str) -> None:
        evs = [
            {"type": "response.created", "response": _resp("r1", "queued"), "sequence_number": 0},
            {"type": "response.queued", "response": _resp("r1", "queued"), "sequence_number": 1},
        ]
        acc = ResponseAccumulator()
        acc.feed(_decode(evs))
        assert acc.status == "queued"
        extra: dict[str, Any] = {}
        if status == "failed":
            extra["error"] = {"code": "server_error", "message": "boom"}
        if status == "incomplete":
            extra["incomplete_details"] = {"reason": "max_output_tokens"}
        acc.feed(_decode([{"type": tag, "response": _resp("r1", status, **extra), "sequence_number": 2}]))
        acc.close()
        assert acc.status == expected
        assert acc.problems == []

    def test_error_event_then_cut(self) -> None:
        evs = [
            {"type": "response.created", "response": _resp("r1", "in_progress"), "sequence_number": 0},
            {
                "type": "error",
                "code": "rate_limit_exceeded",
                "message": "slow down",
                "param": None,
                "sequence_number": 1,
            },
        ]
        acc = _fold(evs)
        assert acc.status == "cut_short"
        assert [(e.code, e.message) for e in acc.errors] == [("rate_limit_exceeded", "slow down")]

    def test_background_queued_then_created_is_one_stream(self) -> None:
        """response.queued then response.created of the same response stay one stream; the next id starts
        another; the same id after its terminal event starts another too."""

        def stream(rid: str) -> list[dict[str, Any]]:
            return [
                {"type": "response.queued", "response": _resp(rid, "queued"), "sequence_number": 0},
                {"type": "response.created", "response": _resp(rid, "queued"), "sequence_number": 1},
                {"type": "response.completed", "response": _resp(rid, "completed"), "sequence_number": 2},
            ]

        accs = accumulate(_decode(stream("a") + stream("b") + stream("b")))
        assert [(a.response_id, a.events, a.status) for a in accs] == [
            ("a", 3, "completed"),
            ("b", 3, "completed"),
            ("b", 3, "completed"),
        ]


class TestWireFormats:
    def test_open_responses_sse_with_event_lines(self) -> None:
        """An Open Responses server's SSE (event: lines before data:) folds the same as NDJSON."""
        evs = _streams("reasoning", 200)[0]
        sse = b"".join(b"event: " + e["type"].encode() + b"\ndata: " + corpus.ndjson([e]) + b"\n" for e in evs)
        a = accumulate(decode_sse(sse))
        b = accumulate(_decode(evs))
        assert len(a) == 1 and a[0].arguments == b[0].arguments and a[0].summaries == b[0].summaries
        assert a[0].response == b[0].response

    def test_openrouter_sse_with_comments_and_done(self) -> None:
        streams = _streams("text", 800)
        evs = [e for s in streams[:3] for e in s]
        accs = accumulate(decode_sse(corpus.sse(evs)))
        assert [a.output_text for a in accs] == [
            s[-1]["response"]["output"][0]["content"][0]["text"] for s in streams[:3]
        ]


def test_splitter_batch_by_batch_equals_accumulate() -> None:
    """Cut anywhere (inside streams, at their starts), batch by batch gives the same streams."""
    from openresponses_msgspec import StreamSplitter

    decoded = _decode(corpus.events("mixed", 2000))
    whole = accumulate(decoded)
    for size in (1, 7, 33, 500):
        sp = StreamSplitter()
        got = []
        for k in range(0, len(decoded), size):
            got += sp.feed(decoded[k : k + size])
        got += sp.close()
        assert [(a.response_id, a.events, a.status, a.output_text, a.problems) for a in got] == [
            (a.response_id, a.events, a.status, a.output_text, a.problems) for a in whole
        ]


def test_codex_output_null_is_rebuilt() -> None:
    """The Codex backend's response.completed carries "output": null: the output comes from the items."""
    for kind in ("text", "reasoning"):
        evs = copy.deepcopy(_streams(kind, 600)[0])
        whole = decode(corpus.ndjson([evs[-1]]))
        evs[-1]["response"]["output"] = None
        acc = _fold(evs)
        assert acc.status == "completed" and acc.response is not None
        assert acc.response.output == whole.response.output
        assert acc.output_text == "".join(e["text"] for e in evs if e["type"] == "response.output_text.done")


def test_projections_are_counted_not_folded() -> None:
    from openresponses_msgspec import Decoder, View

    class Delta(View, tag="response.output_text.delta"):
        delta: str

    acc = ResponseAccumulator()
    acc.feed(Decoder(views=[Delta]).decode_lines(corpus.ndjson(_streams("text", 600)[0])))
    acc.close()
    assert acc.events == len(_streams("text", 600)[0]) and acc.problems == [] and acc.status == "cut_short"
