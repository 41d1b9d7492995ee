"""decode / decode_lines / decode_array / encode: values, forward compatibility, and precise errors."""

from __future__ import annotations

import json

import msgspec
import pytest
from helpers import DELTA, GEN

import openresponses_msgspec as orm
from openresponses_msgspec import (
    DecodeError,
    InvalidEvent,
    InvalidValue,
    UnknownEvent,
    UnknownValue,
    corpus,
    decode,
    decode_array,
    decode_lines,
    encode,
)

ERROR = b'{"type":"error","code":null,"message":"boom","param":null,"sequence_number":9}'


class TestDecode:
    def test_seed_event_decodes_with_values(self) -> None:
        ev = decode(GEN)
        assert isinstance(ev, orm.ResponseImageGenerationCallGeneratingEvent)
        assert (ev.type, ev.item_id, ev.output_index, ev.sequence_number) == (
            "response.image_generation_call.generating",
            "ig_1",
            0,
            2,
        )

    @pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, lambda b: b.decode()])
    def test_accepts_every_buffer_kind(self, kind: object) -> None:
        assert decode(kind(DELTA)).delta == "Hi"  # type: ignore[operator]

    def test_tag_in_any_position(self) -> None:
        first = decode(
            b'{"type":"response.refusal.delta","item_id":"m","output_index":1,"content_index":2,'
            b'"delta":"no","sequence_number":3}'
        )
        last = decode(
            b'{"item_id":"m","output_index":1,"content_index":2,"delta":"no","sequence_number":3,'
            b'"type":"response.refusal.delta"}'
        )
        assert first == last and last.type == "response.refusal.delta" and last.content_index == 2

    def test_escapes_and_non_ascii(self) -> None:
        ev = decode(
            '{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,'
            '"delta":"caf\\u00e9 \\"q\\" \\n 東京 \\ud83d\\ude00 ✓","logprobs":[],'
            '"sequence_number":1}'.encode()
        )
        assert ev.delta == 'café "q" \n 東京 😀 ✓'

    def test_extra_fields_are_ignored(self) -> None:
        ev = decode(GEN[:-1] + b',"new_field":{"deep":[1,2,{"x":null}]},"another":"x"}')
        assert ev == decode(GEN)

    def test_error_event_is_an_event_not_an_exception(self) -> None:
        ev = decode(ERROR)
        assert isinstance(ev, orm.ErrorEvent)
        assert (ev.code, ev.message, ev.param, ev.sequence_number) == (None, "boom", None, 9)

    @pytest.mark.parametrize("tag", ["response.keep_alive", "heartbeat", "response.brand_new.delta"])
    def test_unknown_event_keeps_type_and_exact_raw(self, tag: str) -> None:
        raw = b'{"type":"%s",  "sequence_number": 7, "payload": {"a": [1, 2.50]}}' % tag.encode()
        ev = decode(b"  " + raw + b"\r\n")
        assert isinstance(ev, UnknownEvent)
        assert ev.type == tag and bytes(ev.raw) == raw
        assert encode(ev) == raw

    def test_unknown_nested_item_stays_in_place(self) -> None:
        item = b'{"type":"openrouter:teleport", "destination": "mars",  "n": [1]}'
        ev = decode(b'{"type":"response.output_item.added","output_index":3,"sequence_number":5,"item":' + item + b"}")
        assert isinstance(ev, orm.ResponseOutputItemAddedEvent)
        assert ev.output_index == 3 and ev.sequence_number == 5
        assert isinstance(ev.item, UnknownValue)
        assert ev.item.type == "openrouter:teleport" and bytes(ev.item.raw) == item
        assert item in encode(ev)
        assert decode(encode(ev)) == ev

    def test_unknown_values_deep_inside_the_response_object(self) -> None:
        part = b'{"type":"output_audio","data":"AAA="}'
        ann = b'{"type":"geo_citation","lat":1.5}'
        evs = corpus.events("text", 215)
        done = next(e for e in evs if e["type"] == "response.completed")
        text = json.dumps(done["response"]["output"][0]["content"][0]).encode()
        patched = json.dumps(done).encode().replace(text, text[:-1] + b', "annotations": [' + ann + b"]}, " + part, 1)
        ev = decode(patched)
        content = ev.response.output[0].content
        assert content[0].text == done["response"]["output"][0]["content"][0]["text"]
        assert content[0].annotations == (UnknownValue("geo_citation", ann),)
        assert content[1] == UnknownValue("output_audio", part)
        assert ev.response.usage.output_tokens == done["response"]["usage"]["output_tokens"]
        assert decode(encode(ev)) == ev

    def test_known_nested_error_names_the_full_path(self) -> None:
        bad = (
            b'{"type":"response.output_item.done","output_index":0,"sequence_number":1,"item":{"type":"message",'
            b'"id":"m","role":"assistant","status":"completed","content":[{"type":"mystery"},'
            b'{"type":"output_text","text":5}]}}'
        )
        ev = decode(bad)  # a bad nested value is kept in its slot (issue #9); the event stays typed
        bad_part = ev.item.content[1]
        assert isinstance(bad_part, InvalidValue) and bad_part.type == "output_text"
        assert bad_part.raw == b'{"type":"output_text","text":5}'
        assert bad_part.error.path == "$.item.content[1].text"
        assert "got `int` - at `$.item.content[1].text`" in str(bad_part.error)

    @pytest.mark.parametrize(
        ("buf", "path", "pos", "text"),
        [
            (
                b'{"type":"response.image_generation_call.generating","item_id":"i","output_index":"0",'
                b'"sequence_number":1}',
                "$.output_index",
                None,
                "got `str` - at `$.output_index`",
            ),
            (
                b'{"type":"response.output_text.delta","item_id":"m","sequence_number":1}',
                "$",
                None,
                "missing required field `delta`",
            ),
            (b'{"item_id":"i"}', "$", None, "missing required field `type`"),
            (b'{"type":7}', "$.type", None, "Expected `str`, got `int`"),
            (b'[{"type":"error"}]', "$", None, "Expected `object`, got `array`"),
            (b'"response.created"', "$", None, "Expected `object`, got `str`"),
            (b'{"type":"error",', None, 16, "truncated"),
            (b'{"type":"error" "x"}', None, 16, "malformed"),
            (GEN + b" {}", None, len(GEN) + 1, "trailing characters"),
            (b"", None, 0, "truncated"),
            (b'{"type":"response.keep_alive","x":"\xff"}', None, 35, "invalid UTF-8"),
            (
                b'{"type":"error","code":null,"message":"\xc3","param":null,"sequence_number":1}',
                None,
                39,
                "invalid UTF-8",
            ),
        ],
    )
    def test_bad_input_raises_decode_error_with_path_or_position(
        self, buf: bytes, path: str | None, pos: int | None, text: str
    ) -> None:
        with pytest.raises(DecodeError) as ei:
            decode(buf)
        err = ei.value
        assert isinstance(err, ValueError)
        assert err.path == path
        assert err.pos == pos
        assert text in str(err)
        assert err.raw == buf

    def test_wrong_buffer_type_is_a_type_error(self) -> None:
        with pytest.raises(TypeError):
            decode(123)  # type: ignore[arg-type]

    def test_absent_optional_fields_are_none_or_empty(self) -> None:
        ev = decode(
            b'{"type":"response.output_item.added","output_index":0,"sequence_number":0,'
            b'"item":{"type":"message","id":"m","role":"assistant","content":[{"type":"output_text",'
            b'"text":"x"}]}}'
        )
        assert ev.item.status is None and ev.item.phase is None
        assert ev.item.content[0].annotations is None and ev.item.content[0].logprobs is None  # absent != []

    def test_events_are_frozen_and_untracked_by_gc(self) -> None:
        import gc

        ev = decode(DELTA)
        with pytest.raises(AttributeError):
            ev.delta = "x"  # type: ignore[misc]
        assert not gc.is_tracked(ev)


def _lines(*items: bytes, sep: bytes = b"\n") -> bytes:
    return sep.join(items) + sep


class TestDecodeLines:
    def test_counts_and_values_match_the_corpus(self) -> None:
        evs = corpus.events("mixed", 3000)
        out = decode_lines(corpus.ndjson(evs))
        assert len(out) == len(evs)
        for src, ev in zip(evs, out, strict=True):
            assert ev.type == src["type"]
            assert ev.sequence_number == src["sequence_number"] if not isinstance(ev, UnknownEvent) else True
        unknown = [e for e in out if isinstance(e, UnknownEvent)]
        assert {e.type for e in unknown} == {"response.keep_alive", "response.future_feature.delta"}
        assert [json.loads(e.raw) for e in unknown] == [s for s in evs if s["type"] in {e.type for e in unknown}]

    @pytest.mark.parametrize("kind", ["text", "image"])
    def test_fast_and_exact_paths_agree(self, kind: str) -> None:
        """Short lines take msgspec's whole-buffer decode_lines, long ones the per-line loop: same result."""
        from openresponses_msgspec._kernel import DEFAULT
        from openresponses_msgspec._ndjson import decode_lines_exact

        data = corpus.ndjson(corpus.events(kind, 400, image_kb=2))
        exact: list[object] = []
        decode_lines_exact(data, 0, len(data), 0, exact, "strict", False, DEFAULT)
        assert decode_lines(data) == exact and len(exact) == 400

    @pytest.mark.parametrize("sep", [b"\n", b"\r\n"])
    def test_lf_and_crlf_and_blank_lines(self, sep: bytes) -> None:
        data = _lines(GEN, b"", b"   ", b"\t", DELTA, ERROR, sep=sep)
        out = decode_lines(data)
        assert [e.type for e in out] == [
            "response.image_generation_call.generating",
            "response.output_text.delta",
            "error",
        ]

    def test_no_trailing_newline(self) -> None:
        assert len(decode_lines(GEN + b"\n" + DELTA)) == 2

    def test_empty_input(self) -> None:
        assert decode_lines(b"") == [] and decode_lines(b"\n\n \n") == []

    @pytest.mark.parametrize(
        ("bad", "path", "text"),
        [
            (GEN + b" " + GEN, None, "trailing characters"),  # two values on one line
            (b'{"type":"error","code":null,', None, "truncated"),  # half a value
            (
                b'{"type":"response.image_generation_call.generating","item_id":"i","output_index":0,'
                b'"sequence_number":true}',
                "$.sequence_number",
                "got `bool` - at `$.sequence_number`",
            ),
            (b"[1,2]", "$", "Expected `object`"),
            (b'{"no_type":1}', "$", "missing required field `type`"),
            (b'{"type":"response.keep_alive","x":"\xfe"}', None, "invalid UTF-8"),
            (b"nul\x00l", None, "malformed"),
        ],
    )
    def test_bad_line_strict_names_line_offset_path(self, bad: bytes, path: str | None, text: str) -> None:
        data = _lines(GEN, b"", DELTA, bad, ERROR)
        with pytest.raises(DecodeError) as ei:
            decode_lines(data)
        err = ei.value
        assert err.line == 4
        assert err.offset == len(GEN) + 2 + len(DELTA) + 1
        assert data[err.offset : err.offset + len(bad)] == bad
        assert err.path == path and err.raw == bad
        assert text in str(err) and "line 4" in str(err)

    def test_bad_line_replace_keeps_it_in_place(self) -> None:
        bad = b'{"type":"error","code":null,'
        data = _lines(GEN, bad, b"", DELTA, bad + b"\r", ERROR)
        out = decode_lines(data, errors="replace")
        assert [type(e).__name__ for e in out] == [
            "ResponseImageGenerationCallGeneratingEvent",
            "InvalidEvent",
            "ResponseOutputTextDeltaEvent",
            "InvalidEvent",
            "ErrorEvent",
        ]
        first, second = out[1], out[3]
        assert isinstance(first, InvalidEvent) and isinstance(second, InvalidEvent)
        assert (first.line, first.offset, first.raw) == (2, len(GEN) + 1, bad)
        assert (second.line, second.raw) == (5, bad)
        assert second.offset == data.index(bad + b"\r")
        assert isinstance(first.error, DecodeError) and "truncated" in str(first.error)

    def test_a_crlf_multiline_value_is_two_bad_lines(self) -> None:
        data = b'{"type":"error",\r\n"code":null,"message":"m","param":null,"sequence_number":1}\r\n'
        out = decode_lines(data, errors="replace")
        assert [(e.line, type(e).__name__) for e in out] == [(1, "InvalidEvent"), (2, "InvalidEvent")]

    def test_invalid_errors_argument(self) -> None:
        with pytest.raises(ValueError, match="errors"):
            decode_lines(GEN, errors="ignore")  # type: ignore[arg-type]


class TestDecodeArray:
    def test_corpus_array_equals_ndjson(self) -> None:
        evs = corpus.events("mixed", 500)
        out = decode_array(corpus.array(evs))
        assert out == decode_lines(corpus.ndjson(evs)) and len(out) == 500

    def test_values(self) -> None:
        evs = corpus.events("reasoning", 120)
        out = decode_array(json.dumps(evs).encode())
        assert [e.type for e in out] == [e["type"] for e in evs]
        assert out[5].delta == evs[5]["delta"]

    def test_unknown_elements_kept(self) -> None:
        out = decode_array(b"[" + GEN + b', {"type":"ping"} ,' + ERROR + b"]")
        assert out[1] == UnknownEvent("ping", b'{"type":"ping"}') and out[2].message == "boom"

    def test_bad_element_strict_and_replace(self) -> None:
        data = b"[" + GEN + b', {"type":"error","code":1,"message":"m","param":null,"sequence_number":1}, 5]'
        with pytest.raises(DecodeError) as ei:
            decode_array(data)
        assert ei.value.index == 1 and ei.value.path == "$.code"
        out = decode_array(data, errors="replace")
        assert [type(e).__name__ for e in out] == [
            "ResponseImageGenerationCallGeneratingEvent",
            "InvalidEvent",
            "InvalidEvent",
        ]
        assert (out[1].index, out[2].index, out[2].raw) == (1, 2, b"5")

    def test_not_an_array(self) -> None:
        for bad in (b"{}", b"[" + GEN, b""):
            with pytest.raises(DecodeError):
                decode_array(bad, errors="replace")


class TestEncode:
    def test_round_trip_of_every_corpus_kind(self) -> None:
        for kind in corpus.KINDS:
            for ev in decode_lines(corpus.ndjson(corpus.events(kind, 300, image_kb=1))):
                assert decode(encode(ev)) == ev

    def test_encode_uses_wire_names_and_omits_absent_fields(self) -> None:
        ev = decode(
            b'{"type":"response.output_item.done","output_index":0,"sequence_number":1,'
            b'"item":{"type":"openrouter:bash","status":"completed","exitCode":0}}'
        )
        assert json.loads(encode(ev)) == {
            "type": "response.output_item.done",
            "output_index": 0,
            "sequence_number": 1,
            "item": {"type": "openrouter:bash", "status": "completed", "exitCode": 0},
        }

    def test_invalid_event_cannot_be_encoded(self) -> None:
        (bad,) = decode_lines(b"{", errors="replace")
        with pytest.raises(TypeError):
            encode(bad)

    def test_msgspec_can_encode_events_directly(self) -> None:
        assert json.loads(msgspec.json.encode(decode(GEN))) == json.loads(GEN)  # keys in class field order


class TestWindows:
    """decode_lines works in 256 KiB windows; lines and offsets must still be those of the whole input."""

    def test_bad_and_unknown_lines_deep_in_a_big_batch(self) -> None:
        evs = corpus.events("text", 6000)
        lines = corpus.ndjson(evs).splitlines(keepends=True)
        lines[4321] = b'{"type":"response.future.event","x":1}\n'
        lines[5000] = b'{"type":"response.output_text.delta","item_id":7}\n'
        data = b"".join(lines)
        assert len(data) > 3 * (1 << 18)
        with pytest.raises(DecodeError) as e:
            decode_lines(data)
        assert (e.value.line, e.value.offset, e.value.raw) == (5001, sum(map(len, lines[:5000])), lines[5000][:-1])
        out = decode_lines(data, errors="replace")
        assert len(out) == 6000
        assert isinstance(out[4321], UnknownEvent) and isinstance(out[5000], InvalidEvent)
        assert out[5000].line == 5001
        assert [e.sequence_number for e in out[:4321]] == [s["sequence_number"] for s in evs[:4321]]
        assert out[5999].sequence_number == evs[5999]["sequence_number"]
