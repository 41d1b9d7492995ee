"""Decoder: the generic class behind the module functions, projections (views, only=), camelCase logs."""

from __future__ import annotations

import asyncio
import json

import msgspec
import pytest

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
    decode_lines,
    encode,
    iter_sse,
)

GEN = b'{"type":"response.image_generation_call.generating","item_id":"ig_1","output_index":0,"sequence_number":2}'
DELTA = (
    b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,'
    b'"delta":"Hi","logprobs":[],"sequence_number":4}'
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
            "ig_1", 0, 2, "response.image_generation_call.generating")
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
