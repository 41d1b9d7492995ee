"""Decoder: the generic class behind the module functions, projections (views, only=), camelCase logs."""

from __future__ import annotations

import array
import asyncio
import json
import mmap
import subprocess
import sys
import tracemalloc
from pathlib import Path

import msgspec
import pytest
from helpers import DELTA, GEN
from hypothesis import given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec import (
    DecodeError,
    Decoder,
    InvalidEvent,
    Skipped,
    SSEDecoder,
    UnknownEvent,
    View,
    corpus,
    decode,
    decode_array,
    decode_lines,
    encode,
    iter_sse,
)


class Usage(msgspec.Struct, frozen=True):
    input_tokens: int
    output_tokens: int


class CompletedResponse(msgspec.Struct, frozen=True):
    usage: Usage | None = None


class Completed(View, tag="response.completed"):
    response: CompletedResponse


class Delta(View, tag="response.output_text.delta"):
    delta: str


class Partial(View, tag="response.image_generation_call.partial_image"):
    partial_image_index: int
    partial_image_b64: msgspec.Raw


def _sse(events: list[dict[str, object]]) -> bytes:
    return b"".join(b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n" for e in events)


class TestDefaultDecoder:
    def test_module_functions_are_the_default_decoder(self) -> None:
        data = corpus.ndjson(corpus.events("mixed", 600))
        dec = Decoder()
        assert dec.decode_lines(data) == decode_lines(data)
        assert dec.decode(DELTA) == decode(DELTA)
        assert dec.decode_array(b"[" + GEN + b"," + DELTA + b"]") == [decode(GEN), decode(DELTA)]
        evs = corpus.events("text", 300)
        assert dec.decode_sse(_sse(evs)) == decode_lines(corpus.ndjson(evs))

    def test_sse_methods_and_module_iterators_take_a_decoder(self) -> None:
        evs = corpus.events("text", 250)
        sse = _sse(evs)
        chunks = [sse[i : i + 97] for i in range(0, len(sse), 97)]
        want = decode_lines(corpus.ndjson(evs))
        dec = Decoder()
        assert list(dec.iter_sse(chunks)) == want
        assert list(iter_sse(chunks, decoder=dec)) == want
        sd = dec.sse_decoder(errors="replace")
        assert isinstance(sd, SSEDecoder) and sd.errors == "replace"
        assert [e for c in chunks for e in sd.feed(c)] + sd.close() == want

        async def gen():  # type: ignore[no-untyped-def]
            for c in chunks:
                yield c

        async def run() -> list[object]:
            return [e async for e in dec.aiter_sse(gen())]

        assert asyncio.run(run()) == want

    def test_options_beside_an_sse_decoder_are_rejected_not_ignored(self) -> None:
        with pytest.raises(TypeError):
            list(iter_sse([b""], decoder=SSEDecoder(), errors="replace"))  # type: ignore[call-overload]
        with pytest.raises(TypeError):
            list(iter_sse([b""], decoder=object()))  # type: ignore[call-overload]

    def test_errors_is_checked_per_call(self) -> None:
        with pytest.raises(ValueError):
            Decoder().decode_lines(GEN, errors="ignore")

    def test_bad_constructor_arguments(self) -> None:
        with pytest.raises(ValueError):
            Decoder(naming="kebab")  # type: ignore[call-overload]
        with pytest.raises(ValueError):
            Decoder(only=["response.output_text.deltaa"])
        with pytest.raises(TypeError):
            Decoder(only="response.output_text.delta")
        with pytest.raises(TypeError):
            Decoder(views=[Usage])  # type: ignore[type-var]
        with pytest.raises(ValueError):

            class Again(View, tag="response.output_text.delta"):
                text: str

            Decoder(views=[Delta, Again])


class TestViews:
    def test_text_corpus_keeps_positions_types_and_values(self) -> None:
        evs = corpus.events("text", 3000)
        data = corpus.ndjson(evs)
        full = decode_lines(data)
        out = Decoder(views=[Completed, Delta]).decode_lines(data)
        assert len(out) == len(evs)
        for src, ev, f in zip(evs, out, full, strict=True):
            assert ev.type == src["type"]
            if src["type"] == "response.output_text.delta":
                assert isinstance(ev, Delta) and ev.delta == src["delta"] == f.delta  # type: ignore[union-attr]
            elif src["type"] == "response.completed":
                assert isinstance(ev, Completed)
                usage = src["response"]["usage"]  # type: ignore[index]
                assert ev.response.usage == Usage(usage["input_tokens"], usage["output_tokens"])
            else:
                assert isinstance(ev, Skipped) and repr(ev) == f"Skipped(type={src['type']!r})"
        assert sum(isinstance(e, Delta) for e in out) == sum(e["type"] == "response.output_text.delta" for e in evs)

    def test_raw_field_keeps_the_payload_bytes(self) -> None:
        evs = corpus.events("image", 40, image_kb=3)
        out = Decoder(views=[Partial]).decode_lines(corpus.ndjson(evs))
        partials = [(s, e) for s, e in zip(evs, out, strict=True) if isinstance(e, Partial)]
        assert partials and len(partials) == sum(s["type"] == Partial.type for s in evs)
        for src, ev in partials:
            assert bytes(ev.partial_image_b64) == json.dumps(src["partial_image_b64"]).encode()
            assert ev.partial_image_index == src["partial_image_index"]

    def test_unknown_tags_and_bad_lines_behave_as_in_the_full_model(self) -> None:
        data = b"\n".join([GEN, b'{"type":"response.keep_alive"}', b'{"type":', DELTA, b"[1]"]) + b"\n"
        out = Decoder(views=[Delta]).decode_lines(data, errors="replace")
        assert [type(e).__name__ for e in out] == ["Skipped", "UnknownEvent", "InvalidEvent", "Delta", "InvalidEvent"]
        assert isinstance(out[2], InvalidEvent) and (out[2].line, out[2].offset) == (3, len(GEN) + 32)
        with pytest.raises(DecodeError) as e:
            Decoder(views=[Delta]).decode_lines(data)
        assert e.value.line == 3

    def test_a_view_validates_what_it_reads_only(self) -> None:
        dec = Decoder(views=[Delta])
        with pytest.raises(DecodeError) as e:
            dec.decode(b'{"type":"response.output_text.delta","delta":5}')
        assert e.value.path == "$.delta"
        # a skipped event is not checked at all, and a view ignores the fields it does not declare
        skipped = dec.decode(b'{"type":"response.created","response":"not an object"}')
        assert isinstance(skipped, Skipped) and skipped.type == "response.created"
        assert dec.decode(b'{"type":"response.output_text.delta","delta":"a","output_index":"x"}') == Delta(delta="a")

    def test_a_view_holding_an_unknown_nested_tag_keeps_it(self) -> None:
        class Added(View, tag="response.output_item.added"):
            item: orm.OutputItem  # type: ignore[valid-type]

        ev = Decoder(views=[Added]).decode(
            b'{"type":"response.output_item.added","output_index":0,"item":{"type":"x_new","a":1}}'
        )
        assert isinstance(ev, Added) and ev.item == orm.UnknownValue("x_new", b'{"type":"x_new","a":1}')

    def test_encode_refuses_projections(self) -> None:
        dec = Decoder(views=[Delta])
        with pytest.raises(TypeError):
            encode(dec.decode(DELTA))
        with pytest.raises(TypeError):
            encode(dec.decode(GEN))

    def test_sse_with_a_projection(self) -> None:
        evs = corpus.events("text", 500)
        sse = _sse(evs)
        dec = Decoder(views=[Delta])
        want = dec.decode_lines(corpus.ndjson(evs))
        assert dec.decode_sse(sse) == want
        assert list(iter_sse([sse[i : i + 64] for i in range(0, len(sse), 64)], decoder=dec)) == want


class TestOnly:
    def test_full_classes_for_the_selected_tags(self) -> None:
        evs = corpus.events("mixed", 800)
        data = corpus.ndjson(evs)
        full = decode_lines(data)
        out = Decoder(only=["response.output_text.delta", "response.completed"]).decode_lines(data)
        assert len(out) == len(full)
        for f, ev in zip(full, out, strict=True):
            if f.type in ("response.output_text.delta", "response.completed") or isinstance(f, UnknownEvent):
                assert ev == f
            else:
                assert isinstance(ev, Skipped) and ev.type == f.type


class TestCamel:
    CAMEL = b'{"type":"response.image_generation_call.generating","itemId":"ig_1","outputIndex":0,"sequenceNumber":2}'

    def test_camel_logs_decode_into_the_same_classes(self) -> None:
        ev = Decoder(naming="camel").decode(self.CAMEL)
        wire = decode(GEN)
        assert isinstance(ev, orm.ResponseImageGenerationCallGeneratingEvent)
        assert (ev.item_id, ev.output_index, ev.sequence_number, ev.type) == (
            "ig_1",
            0,
            2,
            "response.image_generation_call.generating",
        )
        # == compares classes too: a camel twin is not == to the wire-form event; its fields are
        assert ev != wire and msgspec.structs.asdict(ev) == msgspec.structs.asdict(wire)
        # encode writes camelCase back, so the camel decoder round-trips it
        assert json.loads(encode(ev)) == json.loads(self.CAMEL)  # (key order: the class field order)
        assert Decoder(naming="camel").decode(encode(ev)) == ev

    def test_nested_values_are_camel_twins_too(self) -> None:
        line = (
            b'{"type":"response.output_item.added","outputIndex":1,"sequenceNumber":3,"item":{"type":"message",'
            b'"id":"m","role":"assistant","status":"in_progress","content":[{"type":"output_text","text":"x",'
            b'"annotations":[]}]}}'
        )
        ev = Decoder(naming="camel").decode(line)
        assert isinstance(ev, orm.ResponseOutputItemAddedEvent) and ev.output_index == 1
        assert isinstance(ev.item, orm.MessageItem) and ev.item.content[0].text == "x"  # type: ignore[union-attr]
        unknown = Decoder(naming="camel").decode(line.replace(b'"message"', b'"x_new"'))
        assert isinstance(unknown.item, orm.UnknownValue)  # type: ignore[union-attr]

    def test_camel_with_a_projection_and_lines(self) -> None:
        out = Decoder(naming="camel", only=["response.image_generation_call.generating"]).decode_lines(
            self.CAMEL + b"\n" + DELTA + b"\n"
        )
        assert isinstance(out[0], orm.ResponseImageGenerationCallGeneratingEvent) and out[0].item_id == "ig_1"
        assert isinstance(out[1], Skipped)


# -- hostile input on the decode side (issue #11: 1, 6, 7) -----------------------------------------------------

BOM = b"\xef\xbb\xbf"


def _deep(depth: int) -> bytes:
    return GEN[:-1] + b',"x":' + b"[" * depth + b"]" * depth + b"}"


class TestDeepNesting:
    def test_every_api_reports_nesting_too_deep_in_both_modes(self) -> None:
        bad = _deep(1000)
        data = GEN + b"\n" + bad + b"\n" + DELTA + b"\n"
        out = decode_lines(data, errors="replace")
        assert out[0] == decode(GEN) and out[2] == decode(DELTA)
        assert isinstance(out[1], InvalidEvent) and "nesting too deep" in str(out[1].error)
        assert (out[1].line, out[1].offset, out[1].raw) == (2, len(GEN) + 1, bad)
        with pytest.raises(DecodeError, match="nesting too deep") as e:
            decode_lines(data)
        assert (e.value.line, e.value.offset) == (2, len(GEN) + 1)
        with pytest.raises(DecodeError, match="nesting too deep"):
            decode(bad)
        # msgspec cannot split an array around a too-deep element: it is framed by bracket matching instead,
        # and the element alone is reported (issue 17; the array used to be reported whole, in both modes)
        arr = decode_array(b"[" + GEN + b"," + bad + b"]", errors="replace")
        assert arr[0] == decode(GEN) and isinstance(arr[1], InvalidEvent) and arr[1].index == 1
        assert "nesting too deep" in str(arr[1].error) and arr[1].raw == bad
        with pytest.raises(DecodeError, match="nesting too deep") as e:
            decode_array(b"[" + GEN + b"," + bad + b"]")
        assert e.value.index == 1
        sse = b"data: " + GEN + b"\n\ndata: " + bad + b"\n\ndata: " + DELTA + b"\n\n"
        got = orm.decode_sse(sse, errors="replace")
        assert got[0] == decode(GEN) and got[2] == decode(DELTA) and isinstance(got[1], InvalidEvent)
        dec = SSEDecoder(errors="replace")
        fed = [e for i in range(0, len(sse), 500) for e in dec.feed(sse[i : i + 500])] + dec.close()
        assert fed == got
        proj = Decoder(views=[Delta]).decode_lines(data, errors="replace")
        assert isinstance(proj[1], InvalidEvent) and proj[2] == Delta(delta="Hi")

    def test_the_documented_depth_always_decodes(self) -> None:
        ev = decode(_deep(500))
        assert ev == decode(GEN)  # the nested value is an unknown field: skipped

    def test_a_raised_recursion_limit_is_guarded_never_a_crash(self) -> None:
        code = (
            "import sys, openresponses_msgspec as o\n"
            "sys.setrecursionlimit(1_000_000)\n"
            f"good = {GEN!r}\n"
            "bad = good[:-1] + b',\"x\":' + b'[' * 1_000_000 + b']' * 1_000_000 + b'}'\n"
            "out = o.decode_lines(good + b'\\n' + bad + b'\\n' + good + b'\\n', errors='replace')\n"
            "assert [type(e).__name__ for e in out] == ['ResponseImageGenerationCallGeneratingEvent', "
            "'InvalidEvent', 'ResponseImageGenerationCallGeneratingEvent'], out\n"
            "assert 'nesting too deep' in str(out[1].error) and out[1].line == 2\n"
            "try:\n    o.decode(bad)\nexcept o.DecodeError as e:\n    assert 'nesting too deep' in str(e)\n"
            "else:\n    raise AssertionError('no error')\n"
            "print('ok')\n"
        )
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


class TestInputForms:
    def test_a_lone_surrogate_fails_its_line_only(self) -> None:
        text = GEN.decode() + "\n" + '{"type":"response.keep_alive","x":"\ud800"}' + "\n" + DELTA.decode() + "\n"
        out = decode_lines(text, errors="replace")
        assert out[0] == decode(GEN) and out[2] == decode(DELTA)
        assert isinstance(out[1], InvalidEvent) and (out[1].line, out[1].offset) == (2, len(GEN) + 1)
        assert "surrogate" in str(out[1].error)
        with pytest.raises(DecodeError, match="surrogate") as e:
            decode_lines(text)
        assert e.value.line == 2

    def test_a_utf8_bom_at_the_start_is_skipped(self) -> None:
        out = decode_lines(BOM + GEN + b"\n" + b"[1]\n", errors="replace")
        assert out[0] == decode(GEN)
        assert isinstance(out[1], InvalidEvent) and (out[1].line, out[1].offset) == (2, 3 + len(GEN) + 1)
        assert decode_lines(BOM) == [] and decode_lines(BOM + b"\n" + GEN) == [decode(GEN)]

    @pytest.mark.parametrize("ws", [b"\x0b", b"\x0c", b" \x0c ", b"\xc2\xa0"])
    def test_blank_means_json_whitespace_only(self, ws: bytes) -> None:
        data = GEN + b"\n \t\r\n" + ws + b"\n" + DELTA + b"\n"
        out = decode_lines(data, errors="replace")
        assert len(out) == 3 and isinstance(out[1], InvalidEvent) and (out[1].line, out[1].raw) == (3, ws)
        with pytest.raises(DecodeError) as e:
            decode_lines(data)
        assert e.value.line == 3

    @pytest.mark.parametrize("arg", [None, 123, [GEN], {"type": "x"}])
    def test_non_buffer_arguments_raise_type_error(self, arg: object) -> None:
        for fn in (decode, decode_lines, decode_array, orm.decode_sse):
            with pytest.raises(TypeError):
                fn(arg)  # type: ignore[operator]

    def test_any_buffer_is_read_without_a_copy(self, tmp_path: Path) -> None:
        data = corpus.ndjson(corpus.events("text", 40_000))
        path = tmp_path / "events.ndjson"
        path.write_bytes(data)
        dec = Decoder(views=[])  # every known event skipped: the decoded values take little memory
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            assert dec.decode_lines(mm) == dec.decode_lines(data)
            tracemalloc.start()
            try:
                out = dec.decode_lines(mm)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert len(out) == 40_000 and peak < len(data) // 3, (peak, len(data))
            assert decode_lines(memoryview(mm)) == decode_lines(data)
        arr = array.array("B", b"[" + GEN + b"]")
        assert decode_array(arr) == [decode(GEN)] and decode(array.array("B", GEN)) == decode(GEN)

    def test_array_errors_have_offset_and_line(self) -> None:
        data = b"[\n  " + GEN + b",\n  " + b'{"type":"error","code":5}' + b",\n  " + DELTA + b"\n]"
        out = decode_array(data, errors="replace")
        assert isinstance(out[1], InvalidEvent)
        assert (out[1].index, out[1].line, out[1].offset) == (1, 3, data.index(b'{"type":"error"'))
        with pytest.raises(DecodeError) as e:
            decode_array(data)
        assert (e.value.index, e.value.line, e.value.offset) == (1, 3, data.index(b'{"type":"error"'))


# -- mixes at full speed (issue #10, 4): the bulk path with cuts and resumes gives the per-line answer ----------

_KEEP = b'{"type":"response.keep_alive","sequence_number":1}'
_NESTED = b'{"type":"response.output_item.added","output_index":0,"sequence_number":2,"item":{"type":"x_new","id":"i"}}'
_MIX_LINES = [GEN, DELTA, _KEEP, _NESTED, b"", b"  ", b"{}", b'{"type":', GEN + b" " + GEN, b"\x0b", b"[1]"]


def _exact(data: bytes, decoder: Decoder[object] | None = None) -> list[object]:
    from openresponses_msgspec._ndjson import decode_lines_exact

    out: list[object] = []
    kernel = (decoder or Decoder())._kernel
    decode_lines_exact(data, 0, len(data), 0, out, "replace", False, kernel)
    return out


class TestMixes:
    @pytest.mark.parametrize("blank", [False, True])
    @pytest.mark.parametrize("every", [3, 100])
    def test_keep_alive_and_unknown_nested_mixes_equal_the_per_line_answer(self, every: int, blank: bool) -> None:
        evs = corpus.events("text", 6000)
        lines = [json.dumps(e, separators=(",", ":")).encode() for e in evs]
        mixed: list[bytes] = []
        for i, line in enumerate(lines):
            mixed.append(line)
            if i % every == every - 1:
                mixed.append(_KEEP if i % (2 * every) else _NESTED)
            if blank:
                mixed.append(b"")
        data = b"\n".join(mixed) + b"\n"
        out = decode_lines(data)
        assert out == _exact(data)
        assert len(out) == len(lines) + len(lines) // every
        assert sum(isinstance(e, UnknownEvent) for e in out) == sum(m == _KEEP for m in mixed)
        items = [e.item for e in out if isinstance(e, orm.ResponseOutputItemAddedEvent)]
        assert items.count(orm.UnknownValue("x_new", b'{"type":"x_new","id":"i"}')) == sum(m == _NESTED for m in mixed)
        assert Decoder(views=[Delta]).decode_lines(data) == _exact(data, Decoder(views=[Delta]))

    @given(st.lists(st.sampled_from(_MIX_LINES), max_size=60), st.sampled_from([b"\n", b"\r\n"]))
    @settings(max_examples=300, deadline=None)
    def test_any_mix_equals_the_per_line_answer(self, lines: list[bytes], sep: bytes) -> None:
        data = sep.join(lines) + sep
        assert decode_lines(data, errors="replace") == _exact(data)

    def test_errors_after_a_resume_keep_whole_input_lines_and_offsets(self) -> None:
        lines = [DELTA] * 50 + [_KEEP] + [DELTA] * 50 + [b'{"type":"error","code":5}'] + [DELTA] * 10
        data = b"\n".join(lines) + b"\n"
        with pytest.raises(DecodeError) as e:
            decode_lines(data)
        assert (e.value.line, e.value.offset) == (102, data.index(b'{"type":"error"'))

    def test_a_run_of_invalid_lines_never_recurses(self) -> None:
        """Every line fails the bulk call with no tag to remember: each window gives up on bulk after a few
        failures (a RecursionError, and quadratic rescans, before)."""
        bad = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero","delta":"x"}'
        out = decode_lines((bad + b"\n") * 20_000, errors="replace")
        assert len(out) == 20_000 and all(isinstance(e, InvalidEvent) for e in out)
        assert (out[-1].line, out[-1].offset) == (20_000, 19_999 * (len(bad) + 1))  # type: ignore[union-attr]


@pytest.mark.parametrize("k", [0, 1, 5, 63, 64, 65, 100, 5000, 1 << 20])
def test_runs_of_empty_lines_keep_line_numbers(k: int) -> None:
    """Runs of empty lines are skipped in bulk (galloping compare), and the lines after them keep their numbers
    and offsets."""
    good = (
        b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,'
        b'"delta":"Hi","sequence_number":3}'
    )
    data = good + b"\n" * (k + 1) + b'{"type":1}\n' + b"\n" * k + b"x\n"
    out = decode_lines(data, errors="replace")
    assert len(out) == 3 and out[0].delta == "Hi"
    assert (out[1].line, out[1].offset) == (k + 2, len(good) + k + 1)
    assert (out[2].line, out[2].offset) == (2 * k + 3, len(good) + 2 * k + 12)
    assert decode_lines(b"\n" * k) == []
