"""SSE: WHATWG framing on bytes, any chunking, [DONE], errors located by index and offset, size limits."""

from __future__ import annotations

import asyncio
import json
import tracemalloc

import pytest
from helpers import GEN
from helpers import chunked as _split
from helpers import feed_sse as _feed_all
from hypothesis import given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec import (
    DecodeError,
    InvalidEvent,
    SSEDecoder,
    UnknownEvent,
    aiter_sse,
    corpus,
    decode_lines,
    decode_sse,
    iter_sse,
)

DELTA = (
    b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,'
    b'"delta":"caf\xc3\xa9 \xe6\x9d\xb1 \xf0\x9f\x98\x80 \xe2\x80\xa8","logprobs":[],"sequence_number":4}'
)
FUTURE = b'{"type":"response.future.thing","sequence_number":5}'
BAD = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero"}'

# Every framing feature in one stream (LF line ends; other styles are derived from it).
STREAM = (
    b": OPENROUTER PROCESSING\n\n"
    b"data: " + GEN + b"\n\n"
    b"event: response.output_text.delta\nid: 7\nretry: 1500\ndata: " + DELTA + b"\n\n"
    b": keep-alive\n"
    b"data:" + FUTURE + b"\n\n"
    b'data: {"type":"response.image_generation_call.generating",\n'  # one JSON value over three data lines
    b'data: "item_id":"ig_2","output_index":1,\n'
    b'data:  "sequence_number":6}\n\n'
    b"data:\n\n"  # empty data: no event
    b"data\n\n"  # a field without a colon: empty data, no event
    b"unknown: field\nevent: x\n\n"  # no data: no event
    b"data: [DONE]\n\n"
)
STYLES = {"LF": b"\n", "CRLF": b"\r\n", "CR": b"\r"}


def _styled(stream: bytes, eol: bytes) -> bytes:
    return stream.replace(b"\n", eol)


def _expected() -> list[object]:
    second = orm.decode(
        b'{"type":"response.image_generation_call.generating","item_id":"ig_2","output_index":1,"sequence_number":6}'
    )
    return [orm.decode(GEN), orm.decode(DELTA), UnknownEvent("response.future.thing", FUTURE), second]


class TestFraming:
    @pytest.mark.parametrize("style", STYLES)
    def test_every_feature_decodes_in_order(self, style: str) -> None:
        """Comments, event/id/retry, data without a space, multi-line data, empty data, [DONE]."""
        dec = SSEDecoder()
        out = dec.feed(_styled(STREAM, STYLES[style])) + dec.close()
        assert out == _expected()
        assert out[1].delta == "café 東 😀 \u2028"  # U+2028 in JSON is not a line end
        assert dec.done and dec.last_event_id == "7" and dec.retry == 1500

    @pytest.mark.parametrize("style", STYLES)
    def test_every_split_offset(self, style: str) -> None:
        """Two chunks split at every byte offset (CR/LF pairs and multibyte characters included)."""
        data = _styled(STREAM, STYLES[style])
        want = _expected()
        for cut in range(len(data) + 1):
            out, dec = _feed_all([data[:cut], data[cut:]])
            assert out == want, (style, cut)
            assert dec.done

    @pytest.mark.parametrize("size", [1, 7, 97, 100000])
    @pytest.mark.parametrize("style", STYLES)
    def test_fragment_sizes_on_a_mixed_corpus(self, size: int, style: str) -> None:
        evs = corpus.events("mixed", 400)
        data = _styled(corpus.sse(evs), STYLES[style])
        want = decode_lines(corpus.ndjson(evs))
        out, dec = _feed_all(_split(data, size))
        assert out == want and len(out) == 400 and dec.done
        assert sum(isinstance(e, UnknownEvent) for e in out) == sum(
            e["type"] in ("response.keep_alive", "response.future_feature.delta") for e in evs
        )

    def test_multibyte_character_split_across_chunks(self) -> None:
        data = b"data: " + DELTA + b"\n\n"
        start = data.index(b"\xf0\x9f")
        for cut in range(start, start + 5):
            assert _feed_all([data[:cut], data[cut:]])[0] == [orm.decode(DELTA)]

    def test_whole_buffer_equals_ndjson_for_every_corpus_kind(self) -> None:
        for kind in corpus.KINDS:
            evs = corpus.events(kind, 300, image_kb=4)
            got = decode_sse(corpus.sse(evs))
            assert got == decode_lines(corpus.ndjson(evs)), kind
            assert len(got) == 300

    @pytest.mark.slow
    @pytest.mark.parametrize(("comments", "event_lines"), [(False, False), (True, False), (True, True)])
    def test_bulk_path_matches_per_event_path(self, comments: bool, event_lines: bool) -> None:
        """Long runs of frames (decoded in bulk, around comments, with or without `event:` lines) give what
        one-byte chunks (per event) give."""
        evs = corpus.events("text", 3000)
        data = corpus.sse(evs, comments=comments)
        if event_lines:  # as Open Responses servers send them: `event: <type>` before each data line
            frames = data.split(b"\n\n")
            data = b"\n\n".join(
                b"event: " + json.loads(f[6:])["type"].encode() + b"\n" + f if f.startswith(b"data: {") else f
                for f in frames
            )
        bulk = decode_sse(data)
        assert bulk == _feed_all(_split(data, 1))[0] == decode_lines(corpus.ndjson(evs))
        assert [e.sequence_number for e in bulk] == [e["sequence_number"] for e in evs]

    def test_bom_only_at_stream_start(self) -> None:
        for cut in range(5):
            data = b"\xef\xbb\xbfdata: " + GEN + b"\n\n"
            assert _feed_all([data[:cut], data[cut:]])[0] == [orm.decode(GEN)]
        # Later, a BOM is part of the line: "\ufeffdata" is an unknown field name, ignored by the WHATWG rules.
        assert decode_sse(b"data: " + GEN + b"\n\n\xef\xbb\xbfdata: " + GEN + b"\n\n") == [orm.decode(GEN)]

    def test_done_then_more_streams(self) -> None:
        """An SSE log holds many streams: decoding goes on after [DONE]; done reflects the last one."""
        one = b"data: " + GEN + b"\n\ndata: [DONE]\n\n"
        dec = SSEDecoder()
        assert dec.feed(one) == [orm.decode(GEN)] and dec.done
        assert dec.feed(b"data: " + GEN + b"\n\n") == [orm.decode(GEN)] and not dec.done
        assert dec.close() == [] and not dec.done

    def test_stream_without_done_is_not_an_error(self) -> None:
        out, dec = _feed_all([b"data: " + GEN + b"\n\n"])
        assert out == [orm.decode(GEN)] and not dec.done

    def test_last_event_without_blank_line_is_reported_as_cut(self) -> None:
        """#11 item 12 (a deliberate change): WHATWG discards an event without its blank line; it is reported
        as the cut tail, never returned, even when it would decode."""
        for tail in (b"\n", b""):
            data = b"data: " + GEN + b"\n\ndata: " + DELTA + tail
            out, dec = _feed_all([data], errors="replace")
            assert out[0] == orm.decode(GEN) and len(out) == 2
            assert isinstance(out[1], InvalidEvent) and out[1].raw == DELTA and out[1].index == 1
            assert out[1].offset == data.index(b"data: " + DELTA) and out[1].line == 3
            assert "stream ended inside an event" in str(out[1].error)

    def test_accepts_bytearray_memoryview_and_str_chunks(self) -> None:
        data = b"data: " + GEN + b"\n\n"
        for kind in (bytearray, memoryview, lambda b: b.decode()):
            assert _feed_all([kind(data)])[0] == [orm.decode(GEN)]  # type: ignore[operator]


class TestErrors:
    def _stream(self) -> bytes:
        return b"".join(b"data: " + e + b"\n\n" for e in (GEN, BAD, GEN, b"{not json", GEN))

    def test_strict_names_index_and_offset(self) -> None:
        data = b": hi\n\n" + self._stream()
        with pytest.raises(DecodeError) as e:
            decode_sse(data)
        err = e.value
        assert err.index == 1 and err.offset == data.index(b"data: " + BAD)
        assert err.path == "$.output_index" and err.raw == BAD
        assert "index 1" in str(err) and f"offset {err.offset}" in str(err)

    def test_replace_keeps_every_good_event_in_place(self) -> None:
        data = self._stream()
        out = decode_sse(data, errors="replace")
        assert [type(e).__name__ for e in out] == [
            "ResponseImageGenerationCallGeneratingEvent",
            "InvalidEvent",
            "ResponseImageGenerationCallGeneratingEvent",
            "InvalidEvent",
            "ResponseImageGenerationCallGeneratingEvent",
        ]
        bad1, bad2 = out[1], out[3]
        assert isinstance(bad1, InvalidEvent) and isinstance(bad2, InvalidEvent)
        assert (bad1.index, bad1.offset, bad1.raw) == (1, data.index(b"data: " + BAD), BAD)
        assert (bad2.index, bad2.offset, bad2.raw) == (3, data.index(b"data: {not"), b"{not json")
        assert bad2.error.pos is not None

    def test_strict_decoder_resumes_after_an_error(self) -> None:
        """After a strict error the events before it in the chunk, and those after, are not lost."""
        dec = SSEDecoder()
        with pytest.raises(DecodeError) as e:
            dec.feed(self._stream())
        assert e.value.index == 1
        with pytest.raises(DecodeError) as e:
            dec.feed(b"")  # goes on after the first error, up to the second
        assert e.value.index == 3
        assert dec.feed(b"") == [orm.decode(GEN)] * 3  # held back across the errors, then the last one
        assert dec.close() == []

    def test_indexes_in_chunked_replace_mode_match_whole(self) -> None:
        data = self._stream() * 3
        whole = decode_sse(data, errors="replace")
        for size in (1, 13, 64):
            assert _feed_all(_split(data, size), errors="replace")[0] == whole

    def test_truncated_stream_is_reported_at_close(self) -> None:
        data = b"data: " + GEN + b"\n\ndata: " + DELTA[:40]
        with pytest.raises(DecodeError) as e:
            _feed_all([data])
        assert "stream ended inside an event" in str(e.value)
        assert e.value.index == 1 and e.value.offset == len(b"data: " + GEN + b"\n\n")
        out, dec = _feed_all(_split(data, 5), errors="replace")
        assert out[0] == orm.decode(GEN) and isinstance(out[1], InvalidEvent) and out[1].raw == DELTA[:40]
        assert not dec.done

    def test_invalid_utf8_is_an_error_of_that_event_only(self) -> None:
        bad = b'{"type":"response.future","x":"\xff"}'
        data = b"data: " + GEN + b"\n\ndata: " + bad + b"\n\ndata: " + GEN + b"\n\n"
        out = decode_sse(data, errors="replace")
        assert out[0] == out[2] == orm.decode(GEN)
        assert isinstance(out[1], InvalidEvent) and "invalid UTF-8" in str(out[1].error)
        assert out[1].offset == data.index(b"data: " + bad)
        for size in (1, 3):
            assert _feed_all(_split(data, size), errors="replace")[0] == out

    def test_strict_error_from_iter_sse(self) -> None:
        with pytest.raises(DecodeError) as e:
            list(iter_sse(_split(self._stream(), 10)))
        assert e.value.index == 1

    def test_bad_options(self) -> None:
        with pytest.raises(ValueError):
            SSEDecoder(errors="ignore")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            SSEDecoder(max_event_size=0)
        dec = SSEDecoder()
        dec.feed(b": hi\n\n")
        dec.close()
        with pytest.raises(ValueError):
            dec.feed(b"data: {}\n\n")


class TestMaxEventSize:
    def _big(self, n: int) -> bytes:
        return b'{"type":"response.future.big","blob":"' + b"A" * n + b'"}'

    @pytest.mark.parametrize("size", [1, 1024, 1 << 20])
    def test_oversized_event_is_skipped_and_the_rest_kept(self, size: int) -> None:
        big = self._big(200_000)
        data = b"data: " + GEN + b"\n\ndata: " + big + b"\n\ndata: " + DELTA + b"\n\ndata: [DONE]\n\n"
        out, dec = _feed_all(_split(data, size), errors="replace", max_event_size=100_000)
        assert out[0] == orm.decode(GEN) and out[2] == orm.decode(DELTA) and len(out) == 3 and dec.done
        bad = out[1]
        assert isinstance(bad, InvalidEvent) and bad.index == 1 and bad.offset == data.index(b"data: " + big)
        assert "max_event_size" in str(bad.error) and "100000" in str(bad.error)
        assert big.startswith(bad.raw) and len(bad.raw) <= 1024

    def test_strict_raises_naming_the_size_then_resumes(self) -> None:
        data = b"data: " + self._big(5000) + b"\n\ndata: " + GEN + b"\n\n"
        dec = SSEDecoder(max_event_size=1000)
        with pytest.raises(DecodeError) as e:
            for c in _split(data, 100):
                dec.feed(c)
        assert e.value.index == 0 and e.value.offset == 0 and "> 1000" in str(e.value)
        rest = data[data.index(c) + len(c) :]  # the chunks not fed yet
        assert dec.feed(rest) + dec.close() == [orm.decode(GEN)]

    def test_small_limit_applies_inside_long_runs_of_frames(self) -> None:
        """A buffer big enough for bulk decoding still rejects each frame over a small limit."""
        frames = [b"data: " + GEN + b"\n\n"] * 100
        big = DELTA.replace(b'"delta":"', b'"delta":"' + b"x" * 300)  # a known type: bulk decoding would take it
        frames[60] = b"data: " + big + b"\n\n"
        data = b"".join(frames)
        out, _ = _feed_all([data], errors="replace", max_event_size=200)
        assert len(out) == 100 and isinstance(out[60], InvalidEvent) and out[60].index == 60
        assert out[59] == out[61] == orm.decode(GEN)

    def test_many_data_lines_count_towards_the_limit(self) -> None:
        data = b"data: x\n" * 100 + b"\ndata: " + GEN + b"\n\n"
        out = decode_sse(data, errors="replace")
        assert out[0].index == 0 and out[1] == orm.decode(GEN)  # x\nx... is not JSON
        out, _ = _feed_all([data], errors="replace", max_event_size=150)
        assert "max_event_size" in str(out[0].error) and out[1] == orm.decode(GEN)

    def test_oversized_event_is_never_held(self) -> None:
        """A 20 MB event against a 1 MiB limit, fed in 1 KiB chunks: memory stays near the limit."""
        big = self._big(20 * 1024 * 1024)
        data = b"data: " + big + b"\n\ndata: " + GEN + b"\n\n"
        chunks = _split(data, 1024)
        dec = SSEDecoder(errors="replace", max_event_size=1 << 20)
        tracemalloc.start()
        out: list[object] = []
        for c in chunks:
            out += dec.feed(c)
        out += dec.close()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 4 * (1 << 20), peak
        assert isinstance(out[0], InvalidEvent) and out[1] == orm.decode(GEN)

    def test_twenty_megabyte_event_in_one_kib_chunks(self) -> None:
        """Under the default limit the same event decodes whole (a quadratic buffer would take minutes)."""
        big = (
            b'{"type":"response.image_generation_call.partial_image","item_id":"ig","output_index":0,'
            b'"partial_image_index":0,"partial_image_b64":"' + b"QUJD" * (5 * 1024 * 1024) + b'","sequence_number":1}'
        )
        data = b": OPENROUTER PROCESSING\n\ndata: " + big + b"\n\ndata: [DONE]\n\n"
        out, dec = _feed_all(_split(data, 1024))
        assert len(out) == 1 and len(out[0].partial_image_b64) == 20 * 1024 * 1024 and dec.done


class TestIterators:
    def test_iter_sse_with_own_decoder(self) -> None:
        dec = SSEDecoder()
        out = list(iter_sse(_split(STREAM, 11), decoder=dec))
        assert out == _expected() and dec.done

    def test_aiter_sse(self) -> None:
        async def chunks():  # type: ignore[no-untyped-def]
            for c in _split(STREAM, 5):
                await asyncio.sleep(0)
                yield c

        async def run() -> list[object]:
            return [ev async for ev in aiter_sse(chunks(), errors="replace")]

        assert asyncio.run(run()) == _expected()


_events = st.lists(
    st.sampled_from([GEN, DELTA, FUTURE, b'{"type":"response.keep_alive","sequence_number":1}']),
    min_size=0,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    evs=_events,
    eol=st.sampled_from(list(STYLES.values())),
    comments=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
    data=st.data(),
)
def test_any_chunking_gives_the_whole_buffer_events(evs, eol, comments, cuts, data) -> None:  # type: ignore[no-untyped-def]
    parts = []
    for e in evs:
        if comments:
            parts.append(b": c" + eol)
        if data.draw(st.booleans()):
            parts.append(b"event: x" + eol)
        parts.append(b"data: " + e + eol + eol)
    parts.append(b"data: [DONE]" + eol + eol)
    stream = b"".join(parts)
    whole = decode_sse(stream)
    assert len(whole) == len(evs)
    bounds = sorted({min(c, len(stream)) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *bounds], [*bounds, len(stream)], strict=True)]
    out, dec = _feed_all(chunks)
    assert out == whole and dec.done


def test_sse_of_decoded_events_round_trips_through_encode() -> None:
    evs = decode_lines(corpus.ndjson(corpus.events("mixed", 200)))
    stream = b"".join(b"data: " + orm.encode(e) + b"\n\n" for e in evs)
    assert decode_sse(stream) == evs
    assert json.loads(orm.encode(evs[0]))["type"] == evs[0].type
