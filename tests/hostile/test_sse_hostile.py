"""Hostile input through the SSE APIs (issue #11): no other exception escapes, memory stays bounded, a strict
decoder resumes without rescanning, a body that is not SSE is said so, framing edge cases follow WHATWG.

Tests naming an item of #11 in their docstring failed on the SSE layer before it; the others guard the fixes."""

from __future__ import annotations

import asyncio
import io
import threading
import tracemalloc
from collections.abc import Iterator

import pytest
from helpers import GEN, feed_sse
from helpers import camel_keys as _camel
from helpers import chunked as _split

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

KEEP = b'{"type":"response.keep_alive"}'
DEEP = GEN[:-1] + b',"x":' + b"[" * 5000 + b"]" * 5000 + b"}"  # deeper than the interpreter's recursion limit


def _frame(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


def _feed_all(chunks: list[bytes] | list[str], **options: object) -> list[object]:
    return feed_sse(chunks, **options)[0]


def _strict_all(chunks: list[bytes], **options: object) -> tuple[list[object], list[DecodeError]]:
    """Feed a strict decoder, resuming after every error: (events, errors), in the order they came."""
    dec = SSEDecoder(**options)  # type: ignore[arg-type]
    out: list[object] = []
    errs: list[DecodeError] = []
    for c in [*chunks, None]:
        while True:
            try:
                out += dec.feed(c) if c is not None else dec.close()
                break
            except DecodeError as e:
                errs.append(e)
                c = b"" if c is not None else c
    return out, errs


class TestDeepNesting:
    """Item 1 through SSE: the kernel turns a nesting too deep into a DecodeError; SSE keeps going."""

    @pytest.mark.parametrize("frames", [3, 400])  # 400 frames: a bulk-sized buffer
    def test_replace_keeps_the_rest_whole_and_chunked(self, frames: int) -> None:
        payloads = [GEN] * frames
        payloads[1] = DEEP
        data = b"".join(_frame(p) for p in payloads)
        for chunks in ([data], _split(data, 4096), _split(data, 7)):
            out = _feed_all(chunks, errors="replace")
            assert len(out) == frames
            bad = out[1]
            assert isinstance(bad, InvalidEvent) and bad.raw == DEEP
            assert bad.offset == len(_frame(GEN)) and bad.index == 1 and bad.line == 3
            assert all(e == orm.decode(GEN) for i, e in enumerate(out) if i != 1)

    def test_strict_raises_decode_error_then_resumes(self) -> None:
        data = _frame(GEN) + _frame(DEEP) + _frame(GEN)
        with pytest.raises(DecodeError) as e:
            decode_sse(data)
        assert e.value.index == 1 and e.value.offset == len(_frame(GEN)) and e.value.line == 3
        out, errs = _strict_all([data])
        assert out == [orm.decode(GEN)] * 2 and [x.index for x in errs] == [1]
        with pytest.raises(DecodeError):
            list(iter_sse(_split(data, 100)))


class TestFieldLimits:
    def test_huge_retry_is_ignored(self) -> None:
        """Item 2: int() of 4301 digits raised ValueError and lost the rest of the chunk."""
        data = b"retry: 1500\n\nretry: " + b"9" * 4301 + b"\n\n" + _frame(GEN)
        for mode in ("strict", "replace"):
            dec = SSEDecoder(errors=mode)  # type: ignore[arg-type]
            assert dec.feed(data) + dec.close() == [orm.decode(GEN)]
            assert dec.retry == 1500
        assert decode_sse(b"retry: 12x\n\nretry: \xd9\xa3\n\n" + _frame(GEN)) == [orm.decode(GEN)]

    def test_limit_counts_data_payload_only(self) -> None:
        """Item 3: a comment, an id line or the `data: ` prefix no longer count towards max_event_size, so
        the issue's stream gives the same answer whole and in 16-byte chunks."""
        data = b": " + b"c" * 200 + b'\ndata: {"type":"response.keep_alive"}\n\n'
        want = [UnknownEvent("response.keep_alive", KEEP)]
        for size in (len(data), 16, 1):
            assert _feed_all(_split(data, size), errors="replace", max_event_size=100) == want
        exact = b'{"type":"response.keep_alive","pad":"' + b"p" * 61 + b'"}'  # exactly 100 bytes of data
        assert len(exact) == 100
        data = b"id: " + b"i" * 300 + b"\nevent: " + b"e" * 300 + b"\ndata: " + exact + b"\n\n"
        for size in (len(data), 16, 1):
            dec = SSEDecoder(max_event_size=100)
            assert [e.type for e in dec.feed(data[:size]) + _feed_rest(dec, data[size:], size)] == [
                "response.keep_alive"
            ]
            assert dec.last_event_id == "i" * 300

    def test_over_long_field_lines_are_dropped_alike_whole_and_chunked(self) -> None:
        """Item 3: an id:/event:/unknown line over 64 KiB is dropped, never held."""
        long_id = b"id: " + b"7" * 70_000 + b"\n"
        data = b"id: 1\n" + _frame(GEN) + long_id + b"event: " + b"e" * 70_000 + b"\n" + _frame(GEN)
        for size in (len(data), 1000, 3):
            dec = SSEDecoder()
            out: list[object] = []
            for c in _split(data, size):
                out += dec.feed(c)
            assert out + dec.close() == [orm.decode(GEN)] * 2
            assert dec.last_event_id == "1", size

    def test_small_limit_whole_equals_chunked_at_every_split(self) -> None:
        data = (
            b": comment\n"
            + _frame(GEN)
            + b"data: "
            + b"x" * 150
            + b"\ndata: y\n\n"
            + _frame(KEEP)
            + b"data: "
            + KEEP
            + b"\ndata: "
            + KEEP
            + b"\n\n"
        )
        whole = _feed_all([data], errors="replace", max_event_size=len(GEN) + 5)
        assert [type(e).__name__ for e in whole] == [
            "ResponseImageGenerationCallGeneratingEvent",
            "InvalidEvent",
            "UnknownEvent",
            "InvalidEvent",
        ]
        assert whole[1].raw == (b"x" * 150)[: len(GEN) + 6]  # the first limit+1 bytes: known in any chunking
        for cut in range(len(data) + 1):
            assert _feed_all([data[:cut], data[cut:]], errors="replace", max_event_size=len(GEN) + 5) == whole, cut


def _feed_rest(dec: SSEDecoder, rest: bytes, size: int) -> list[object]:
    out: list[object] = []
    for c in _split(rest, size):
        out += dec.feed(c)
    return out + dec.close()


class TestMemory:
    """Item 4: what is held for one event stays within a small constant times max_event_size."""

    LIMIT = 1 << 16

    def _peak(self, chunks: list[bytes], **options: object) -> tuple[int, list[object]]:
        dec = SSEDecoder(**options)  # type: ignore[arg-type]
        out: list[object] = []
        tracemalloc.start()
        try:
            for c in chunks:
                out += dec.feed(c)
            out += dec.close()
            return tracemalloc.get_traced_memory()[1], out
        finally:
            tracemalloc.stop()

    @pytest.mark.slow
    def test_many_short_data_lines(self) -> None:
        """One-byte data lines: held as one bytearray (was ~15x the limit in small bytes objects)."""
        data = b"data: x\n" * (self.LIMIT // 2 + 100) + b"\n" + _frame(GEN)
        peak, out = self._peak(_split(data, 1 << 16), errors="replace", max_event_size=self.LIMIT)
        assert peak < 2.5 * self.LIMIT, peak
        assert isinstance(out[0], InvalidEvent) and out[0].raw == b"x\n" * 512 and out[1] == orm.decode(GEN)

    def test_oversized_event_in_one_chunk_is_not_copied(self) -> None:
        """A 40 MB event in one chunk against a 64 KiB limit: rejected from the chunk itself (was copied twice)."""
        data = _frame(b'{"type":"x.big","b":"' + b"A" * (40 << 20) + b'"}') + _frame(GEN)
        peak, out = self._peak([data], errors="replace", max_event_size=self.LIMIT)
        assert peak < self.LIMIT, peak
        assert isinstance(out[0], InvalidEvent) and out[1] == orm.decode(GEN)

    def test_event_within_the_limit_in_small_chunks(self) -> None:
        """A 16 MB event in 1 KiB chunks under the default limit: the line buffer becomes the payload (no copy);
        what is held is about the event plus its decoded value."""
        b64 = b"QUJD" * (4 << 20)
        event = (
            b'{"type":"response.image_generation_call.partial_image","item_id":"ig","output_index":0,'
            b'"partial_image_index":0,"partial_image_b64":"' + b64 + b'","sequence_number":1}'
        )
        peak, out = self._peak(_split(_frame(event), 1024))
        assert len(out) == 1 and out[0].partial_image_b64 == b64.decode()
        assert peak < 2.5 * len(event), peak / len(event)


class TestStrictResume:
    def test_resume_after_each_error_copies_nothing(self) -> None:
        """Item 5: each resume used to copy and rescan the rest of the chunk (quadratic). Now the rest is kept
        by reference: resuming through 2,000 errors in a 5 MB chunk allocates little more than the events."""
        data = (_frame(b'{"bad json') + _frame(GEN)) * 2000 + b"\n" * (4 << 20)
        dec = SSEDecoder()
        tracemalloc.start()
        errors = 0
        out: list[object] = []
        try:
            chunk = data
            while True:
                try:
                    out += dec.feed(chunk)
                    break
                except DecodeError as e:
                    assert e.index == 2 * errors and e.raw == b'{"bad json'
                    errors += 1
                    chunk = b""
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert errors == 2000 and out == [orm.decode(GEN)] * 2000
        assert peak < 1 << 20, peak

    def test_errors_carry_line_offset_and_index(self) -> None:
        """`.line` is the stream's physical line of the event's first line (CR, LF, CRLF alike)."""
        for eol in (b"\n", b"\r\n", b"\r"):
            data = (b": hi\n\nid: 1\n" + _frame(GEN) + b"event: x\ndata: {\n\n" + _frame(GEN)).replace(b"\n", eol)
            for size in (len(data), 5, 1):
                out = _feed_all(_split(data, size), errors="replace")
                bad = out[1]
                assert isinstance(bad, InvalidEvent) and (bad.line, bad.index) == (6, 1), (eol, size)
                assert bad.offset == data.index(b"event: x")
                _, errs = _strict_all(_split(data, size))
                assert [(e.line, e.offset, e.index) for e in errs] == [(6, bad.offset, 1)]


class TestText:
    def test_lone_surrogate_in_str_fails_only_its_event(self) -> None:
        """Item 6: a lone surrogate failed the whole feed (and the next chunk then started mid-line)."""
        chunks = ['data: {"type":"x.a"}\n\ndata: {"type":"x.b","s":"\ud800', '"}\n\ndata: {"type":"x.c"}\n\n']
        out = _feed_all(chunks, errors="replace")
        assert [getattr(e, "type", None) for e in out] == ["x.a", None, "x.c"]
        assert isinstance(out[1], InvalidEvent) and "UTF-8" in str(out[1].error) and out[1].index == 1
        out, errs = _strict_all(chunks)  # type: ignore[arg-type]
        assert [e.type for e in out] == ["x.a", "x.c"] and [e.index for e in errs] == [1]  # type: ignore[attr-defined]
        assert [getattr(e, "type", None) for e in decode_sse("".join(chunks), errors="replace")] == ["x.a", None, "x.c"]


class TestNotSSE:
    """Item 8: a body that is not SSE decoded to nothing, silently."""

    @pytest.mark.parametrize(
        "body",
        [
            b"",
            b'{"type":"a"}\n',
            b'{"error":{"message":"Incorrect API key","code":"invalid_api_key"}}',
            b"<html><body>502 Bad Gateway</body></html>\n" * 100,
            b"\xef\xbb\xbf",
            b"\n\n\n",
        ],
    )
    def test_reported_in_both_modes(self, body: bytes) -> None:
        with pytest.raises(DecodeError, match="not an SSE stream") as e:
            decode_sse(body)
        assert (e.value.line, e.value.offset, e.value.index) == (1, 0, 0) and e.value.raw == body[:1024]
        for size in (max(len(body), 1), 3):
            out = _feed_all(_split(body, size), errors="replace")
            assert len(out) == 1 and isinstance(out[0], InvalidEvent) and out[0].raw == body[:1024]
        with pytest.raises(DecodeError, match="not an SSE stream"):
            list(iter_sse(_split(body, 10)))

    @pytest.mark.parametrize(
        "body",
        [
            b": ping\n\n",
            b"event: x\n\n",
            b"id: 3\n\n",
            b"retry: 10\n\n",
            b"data:\n\n",
            b"data: [DONE]\n\n",
            b": no line end",
        ],
    )
    def test_any_sse_line_makes_it_a_stream(self, body: bytes) -> None:
        assert decode_sse(body) == []


class TestIterators:
    def test_bytes_is_a_type_error_pointing_to_decode_sse(self) -> None:
        """Item 9: bytes used to fail later with '... not int'."""
        for buf in (_frame(GEN), bytearray(_frame(GEN)), _frame(GEN).decode()):
            with pytest.raises(TypeError, match="decode_sse"):
                list(iter_sse(buf))  # type: ignore[arg-type]

    def test_binary_file_is_read_in_blocks(self) -> None:
        """Item 9: a file object was iterated by lines (6x slower)."""
        data = corpus.sse(corpus.events("mixed", 3000))
        sizes: list[int] = []

        class Spy(io.BytesIO):
            def read(self, size: int | None = -1, /) -> bytes:
                sizes.append(-1 if size is None else size)
                return super().read(size)

            def __iter__(self) -> Iterator[bytes]:
                raise AssertionError("iterated by lines")

        assert list(iter_sse(Spy(data))) == decode_sse(data)
        assert len(sizes) == len(data) // (1 << 18) + 2 and set(sizes) == {1 << 18}

    def test_async_reader_is_read_in_blocks(self) -> None:
        data = corpus.sse(corpus.events("text", 500))

        async def run() -> list[object]:
            reader = asyncio.StreamReader()
            reader.feed_data(data)
            reader.feed_eof()
            return [e async for e in aiter_sse(reader)]

        assert asyncio.run(run()) == decode_sse(data)

    def test_options_beside_decoder_are_applied_or_rejected(self) -> None:
        """Item 9: `iter_sse(..., decoder=d, errors="replace")` silently ignored errors."""
        data = [_frame(b"{bad") + _frame(GEN)]
        with pytest.raises(TypeError, match="errors"):
            list(iter_sse(data, decoder=SSEDecoder(), errors="replace"))
        with pytest.raises(TypeError, match="max_event_size"):
            list(iter_sse(data, decoder=SSEDecoder(), max_event_size=10))
        dec = SSEDecoder(errors="replace")
        out = list(iter_sse(data, decoder=dec, errors="replace"))  # the same setting: fine
        assert isinstance(out[0], InvalidEvent) and out[1] == orm.decode(GEN)
        out = list(iter_sse(data, errors="replace"))
        assert isinstance(out[0], InvalidEvent)


class TestThreads:
    """Item 9: module functions may be shared between threads; an SSEDecoder is one per stream."""

    def test_module_functions_from_many_threads(self) -> None:
        inputs = [corpus.sse(corpus.events(kind, 2000, seed=i)) for i, kind in enumerate(["text", "mixed"] * 3)]
        want = [decode_sse(d, errors="replace") for d in inputs]
        want_ndjson = [decode_lines(corpus.ndjson(corpus.events(k, 500))) for k in ("text", "mixed")]
        got: dict[int, list[object]] = {}
        failures: list[BaseException] = []

        def work(i: int) -> None:
            try:
                for _ in range(3):
                    chunks = _split(inputs[i], 997)
                    assert list(iter_sse(chunks, errors="replace")) == want[i]
                    assert (
                        decode_lines(corpus.ndjson(corpus.events(("text", "mixed")[i % 2], 500))) == want_ndjson[i % 2]
                    )
                got[i] = decode_sse(inputs[i], errors="replace")
            except BaseException as e:
                failures.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures
        assert [got[i] for i in range(len(inputs))] == want

    @pytest.mark.parametrize("options", [{}, {"only": ["response.output_text.delta"]}, {"naming": "camel"}])
    def test_one_decoder_shared_by_many_threads(self, options: dict[str, object]) -> None:
        """One Decoder (and what it builds lazily, e.g. camelCase twins) shared by threads, each with its own
        SSEDecoder: every thread gets what a single thread gets."""
        evs = corpus.events("mixed", 1500)
        if options.get("naming") == "camel":
            evs = [_camel(e) for e in evs]
        data = corpus.sse(evs)
        want = orm.Decoder(**options).decode_sse(data, errors="replace")  # type: ignore[call-overload]
        shared = orm.Decoder(**options)  # type: ignore[call-overload]
        barrier = threading.Barrier(4)
        got: list[list[object]] = []
        failures: list[BaseException] = []

        def work() -> None:
            try:
                barrier.wait()  # first uses at the same time: lazily built state is built under contention
                got.append(list(iter_sse(_split(data, 4093), decoder=shared, errors="replace")))
            except BaseException as e:
                failures.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures
        assert len(got) == 4 and all(g == want for g in got)
        assert len(want) == 1500 and sum(isinstance(e, InvalidEvent) for e in want) < 15


class TestFramingFixes:
    def test_crlf_at_chunk_end_does_not_swallow_the_next_lf(self) -> None:
        """Item 10: the pending-CR flag was set although the CRLF was complete, merging two events."""
        dec = SSEDecoder()
        assert dec.feed(b'data: {"type":"x.a"}\r\n') == []
        assert dec.feed(b'\ndata: {"type":"x.b"}\n\n') == [
            UnknownEvent("x.a", b'{"type":"x.a"}'),
            UnknownEvent("x.b", b'{"type":"x.b"}'),
        ]
        assert dec.close() == []

    def test_lone_cr_at_chunk_end_still_owns_the_next_lf(self) -> None:
        dec = SSEDecoder()
        assert dec.feed(b'data: {"type":"x.a"}\r') == []
        assert dec.feed(b"\n") == []  # the LF of the CRLF: not a blank line
        assert dec.feed(b"\r\n") == [UnknownEvent("x.a", b'{"type":"x.a"}')]

    def test_last_event_id_changes_at_dispatch(self) -> None:
        """Item 11: it changed when the id: line arrived, before its event was complete."""
        dec = SSEDecoder()
        assert dec.feed(b"id: 1\n" + _frame(GEN) + b"id: 2\ndata: " + GEN + b"\n") == [orm.decode(GEN)]
        assert dec.last_event_id == "1"  # event 2 is not complete yet
        assert dec.feed(b"\n") == [orm.decode(GEN)] and dec.last_event_id == "2"
        dec.feed(b"id: 3\ndata: " + GEN + b"\n")  # cut: never dispatched
        with pytest.raises(DecodeError, match="stream ended inside an event"):
            dec.close()
        assert dec.last_event_id == "2"

    def test_cut_last_event_strict_and_done_without_blank_line(self) -> None:
        """Item 12: an unfinished last event that decodes was returned as if complete."""
        data = _frame(GEN) + b"data: " + GEN + b"\n"
        with pytest.raises(DecodeError, match="stream ended inside an event") as e:
            decode_sse(data)
        assert (e.value.index, e.value.offset, e.value.line, e.value.raw) == (1, len(_frame(GEN)), 3, GEN)
        dec = SSEDecoder()
        assert dec.feed(_frame(GEN) + b"data: [DONE]\n") + dec.close() == [orm.decode(GEN)] and dec.done
