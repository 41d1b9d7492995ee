"""The SSE decoder's parts, each on its own: the event assembler (the WHATWG field rules, as a table), the line
buffer (chunk boundaries), and the scanner's regular-region proof (what it accepts, what it refuses, and that
the payloads it hands msgspec decode to the frames' own values)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec._kernel import DEFAULT
from openresponses_msgspec._sse_events import EventAssembler, Sink
from openresponses_msgspec._sse_lines import LineBuffer
from openresponses_msgspec._sse_scan import regular_data_region, regular_event_region

DELTA = (
    b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,'
    b'"delta":"%d","sequence_number":%d}'
)


def delta(i: int) -> bytes:
    return DELTA % (i, i)


def _assembler(limit: int = 1 << 20, last_event_id: str = "") -> EventAssembler:
    return EventAssembler(Sink(DEFAULT, "replace"), limit, last_event_id)


def _lines(events: EventAssembler, *lines: bytes) -> None:
    for n, line in enumerate(lines, 1):
        events.field(line, 0, len(line), 0, n)


# -- the event assembler: the WHATWG field rules ------------------------------------------------------------

# (lines of one event, before its blank line) -> (its data, or None for no data; last event ID; retry; seen)
FIELDS: list[tuple[str, list[bytes], bytes | None, str, int | None, bool]] = [
    ("data, one leading space stripped", [b"data: x"], b"x", "", None, True),
    ("data without a space", [b"data:x"], b"x", "", None, True),
    ("only one space stripped", [b"data:  x"], b" x", "", None, True),
    ("data lines joined by LF", [b"data: a", b"data: b"], b"a\nb", "", None, True),
    ("data with no colon: an empty value", [b"data"], b"", "", None, True),
    ("data: with an empty value", [b"data:"], b"", "", None, True),
    ("event is ignored", [b"event: response.created"], None, "", None, True),
    ("id", [b"id: 7"], None, "7", None, True),
    ("id with NUL is ignored", [b"id: a\0b"], None, "", None, True),
    ("id with no colon: empty", [b"id"], None, "", None, True),
    ("retry, ASCII digits", [b"retry: 1500"], None, "", 1500, True),
    ("retry with a non-digit is ignored", [b"retry: 15x"], None, "", None, True),
    ("retry negative is ignored", [b"retry: -1"], None, "", None, True),
    ("retry with a space inside is ignored", [b"retry: 1 5"], None, "", None, True),
    ("retry of 19 digits is ignored", [b"retry: " + b"9" * 19], None, "", None, True),
    ("unknown field is ignored", [b"foo: bar"], None, "", None, False),
    ("unknown field with no colon", [b"foo"], None, "", None, False),
    ("a long name is an unknown field", [b"datadata: x"], None, "", None, False),
    ("comment", [b": keep-alive"], None, "", None, True),
    ("comment between data lines", [b"data: a", b": c", b"data: b"], b"a\nb", "", None, True),
    ("field names are case-sensitive", [b"Data: x", b"ID: 1"], None, "", None, False),
]


@pytest.mark.parametrize(
    ("lines", "data", "event_id", "retry", "seen"), [f[1:] for f in FIELDS], ids=[f[0] for f in FIELDS]
)
def test_field_rules(lines: list[bytes], data: bytes | None, event_id: str, retry: int | None, seen: bool) -> None:
    events = _assembler()
    _lines(events, *lines)
    assert (None if events.data is None else bytes(events.data)) == data
    assert events.event_id == event_id and events.retry == retry and events.seen is seen
    assert events.last_event_id == ""  # set at dispatch, not before
    _lines(events, b"")  # the blank line dispatches
    assert events.last_event_id == event_id and events.data is None and events.start == -1


def test_dispatch_decodes_the_data_and_marks_done() -> None:
    events = _assembler()
    _lines(events, b"data: " + delta(1), b"")
    _lines(events, b"data: [DONE]", b"")
    out = events.sink.take()
    assert [e.delta for e in out] == ["1"] and events.sink.done
    _lines(events, b"data: {not json", b"")
    (bad,) = events.sink.take()
    assert isinstance(bad, orm.InvalidEvent) and bad.raw == b"{not json" and bad.index == 1 and bad.line == 1


def test_data_over_max_event_size_is_reported_and_skipped_to_its_blank_line() -> None:
    events = _assembler(limit=10)
    _lines(events, b"data: 12345", b"data: 67890", b"data: more", b"")
    (bad,) = events.sink.take()
    assert isinstance(bad, orm.InvalidEvent) and "max_event_size" in str(bad.error)
    assert bad.raw == b"12345\n67890"  # the first max_event_size + 1 bytes of its data
    assert events.data is None and not events.skip  # the blank line ended it


def test_close_reports_a_cut_event_and_a_body_that_is_not_sse() -> None:
    events = _assembler()
    _lines(events, b"data: " + delta(1))
    events.close(b"")
    (cut,) = events.sink.take()
    assert isinstance(cut, orm.InvalidEvent) and cut.raw == delta(1) and "ended inside an event" in str(cut.error)
    quiet = _assembler()
    quiet.close(b"<html>")
    (page,) = quiet.sink.take()
    assert isinstance(page, orm.InvalidEvent) and page.raw == b"<html>" and "not an SSE stream" in str(page.error)


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_line_ends_and_bom_through_the_decoder(eol: bytes, chunk: int) -> None:
    """CR, LF and CRLF each end a line, whatever the chunking (a CRLF cut between chunks is one line end);
    a BOM is skipped once, at the stream's start only."""
    body = (
        b"\xef\xbb\xbf: hi"
        + eol
        + eol
        + b"id: 3"
        + eol
        + b"data: "
        + delta(1)
        + eol
        + eol
        + b"data: "
        + delta(2)
        + eol
        + eol
    )
    dec = orm.SSEDecoder()
    out = [e for i in range(0, len(body), chunk) for e in dec.feed(body[i : i + chunk])] + dec.close()
    assert [e.delta for e in out] == ["1", "2"] and dec.last_event_id == "3"
    twice = orm.SSEDecoder(errors="replace")
    got = twice.feed(b"\xef\xbb\xbf\xef\xbb\xbfdata: " + delta(1) + b"\n\n") + twice.close()
    (page,) = got  # a second BOM is part of the first line: an unknown field, so no SSE line at all
    assert isinstance(page, orm.InvalidEvent) and "not an SSE stream" in str(page.error)


# -- the line buffer ----------------------------------------------------------------------------------------


def test_line_buffer_keeps_a_partial_line_and_hands_it_over_whole() -> None:
    events = _assembler()
    lines = LineBuffer(events)
    assert lines.start_chunk(b"\xef\xbb", 0) == -1 and lines.bom == b"\xef\xbb"  # too short to tell
    first = b"\xbfdata: " + delta(1)[:20]
    assert lines.start_chunk(first, 2) == 1 and lines.bom is None  # (the rest of the BOM: skipped)
    lines.keep_tail(first, 1, 2)  # the line is unfinished: it waits
    assert bytes(lines.buf) == b"data: " + delta(1)[:20] and lines.buf_at == 3
    rest = delta(1)[20:] + b"\n\nda"
    pos = lines.start_chunk(rest, 2 + len(first))
    assert rest[pos:] == b"da" and lines.lines == 2  # the data line and its blank line
    assert [e.delta for e in events.sink.take()] == ["1"]  # dispatched at once


def test_line_buffer_a_cr_at_a_chunk_end_owns_the_next_lf() -> None:
    lines = LineBuffer(_assembler())
    lines.bom = None
    lines.cr = True
    assert lines.start_chunk(b"\ndata: x\n", 10) == 1 and not lines.cr
    assert lines.start_chunk(b"\n", 19) == 0  # (no CR pending: an LF is a line end of its own)


def test_line_buffer_discards_comments_and_long_lines_as_they_come() -> None:
    events = _assembler()
    lines = LineBuffer(events)
    lines.bom = None
    lines.keep_tail(b": a comment that never ends", 0, 0)
    assert lines.discard and not lines.buf and events.seen
    assert lines.start_chunk(b"still the comment", 30) == -1 and lines.discard  # nothing held
    assert lines.start_chunk(b" end\ndata: x\n", 47) == 5 and not lines.discard and lines.lines == 1
    long = b"id: " + b"x" * (64 * 1024 + 1)
    lines.keep_tail(long, 0, 100)
    assert lines.discard and not lines.buf and events.start == 100  # dropped, but it starts an event


def test_line_buffer_queue_resumes_after_a_strict_error() -> None:
    dec = orm.SSEDecoder()
    body = b"data: {bad\n\n" + b"data: " + delta(2) + b"\n\n"
    with pytest.raises(orm.DecodeError) as err:
        dec.feed(body)
    assert err.value.line == 1 and err.value.index == 0
    assert [e.delta for e in dec.feed(b"")] == ["2"]  # the rest, from the queue: not lost, not repeated


# -- the scanner's regular-region proof ----------------------------------------------------------------------


def _data_region(payloads: list[bytes]) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads)


def _event_region(frames: list[tuple[bytes, bytes]]) -> bytes:
    return b"".join(b"event: " + t + b"\ndata: " + p + b"\n\n" for t, p in frames)


def _decode(body: bytes | bytearray) -> list[Any]:
    return msgspec.json.Decoder().decode_lines(bytes(body))


def test_regular_data_region_gives_the_payloads_in_one_body() -> None:
    payloads = [delta(i) for i in range(50)]
    buf = b": x\n\n" + _data_region(payloads)
    got = regular_data_region(buf, 5, len(buf))
    assert got is not None
    body, n = got
    assert n == 50 and len(body) == len(buf) - 5 - 6  # same-length rewrite
    assert body.find(b"\n") == len(body) - 2
    assert _decode(body) == [json.loads(p) for p in payloads]


@pytest.mark.parametrize(
    "region",
    [
        b'data: {"a":1}\n\ndata: {"b":2}\n',  # no blank line at the end
        b'data: {"a":1}\ndata: {"b":2}\n\n',  # two data lines in one event
        b'data: {"a":1}\n\ndata: {"b":\n2}\n\n',  # a payload over two lines
        b'data: {"a":1}\n\n: keep-alive\n\ndata: {"b":2}\n\n',  # a comment between frames
        b'data: {"a":1}\n\nid: 3\ndata: {"b":2}\n\n',  # another field
        b'data:{"a":1}\n\n',  # no space after the colon (not the common frame)
        b'data: {"a":1}\n\n\ndata: {"b":2}\n\n',  # an extra blank line
        b"data: [DONE]\n\n",
    ],
)
def test_regular_data_region_refuses_anything_else(region: bytes) -> None:
    assert regular_data_region(region, 0, len(region)) is None


def test_a_payload_holding_two_values_is_caught_by_the_count() -> None:
    """The proof says N frames; msgspec then finds N + 1 values, so the region goes frame by frame."""
    region = _data_region([b'{"a":1} {"b":2}', b'{"c":3}'])
    got = regular_data_region(region, 0, len(region))
    assert got is not None and got[1] == 2 and len(_decode(got[0])) == 3
    assert orm.decode_sse(region, errors="replace")[0].__class__ is orm.InvalidEvent


def test_regular_event_region_with_common_and_rare_types() -> None:
    # a rare kind (1 in 40) and a second common one (1 in 3: past _REPEATED, replaced all at once)
    kinds = [b"response.output_text.delta", b"response.created", b"response.in_progress"]
    frames = [(kinds[1 if i % 40 == 0 else 2 if i % 3 == 0 else 0], delta(i)) for i in range(400)]
    frames[7] = (b"x" * 33, delta(7))  # one of its own kind
    buf = _event_region(frames)
    got = regular_event_region(buf, 0, len(buf))
    assert got is not None
    body, n = got
    assert n == 400 and bytes(body).find(b"\n") == len(body) - 2
    assert _decode(body) == [json.loads(p) for _, p in frames]
    assert [e.delta for e in orm.decode_sse(buf)] == [str(i) for i in range(400)]


@pytest.mark.parametrize(
    "region",
    [
        b"event: a\ndata: {}\n\nevent: b\n\ndata: {}\n\n",  # a blank line inside a frame
        b"event: a\ndata: {}\n\nevent: b\nid: 1\ndata: {}\n\n",  # another field
        b"event: a\ndata: {}\n\ndata: {}\n\n",  # a frame without its event line
        b"event: a\ndata: {}\ndata: {}\n\n",  # two data lines
    ],
)
def test_regular_event_region_refuses_anything_else(region: bytes) -> None:
    assert regular_event_region(region, 0, len(region)) is None


_PAYLOAD = st.builds(
    lambda k, s: json.dumps({"k": k, "s": s}, separators=(",", ":")).encode(),
    st.integers(0, 99),
    st.text(alphabet=st.characters(codec="ascii", exclude_characters="\r\n"), max_size=8),
)
_JUNK = st.sampled_from([b"", b"\n", b": c\n\n", b"id: 1\n", b"data: x\n", b"\r", b"}\n\n{"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_PAYLOAD, st.sampled_from([b"a", b"bb", b"response.x"]), _JUNK), min_size=1, max_size=12))
def test_the_proof_never_accepts_a_region_it_misreads(frames: list[tuple[bytes, bytes, bytes]]) -> None:
    """Whatever is spliced between frames: when a proof holds, the body decodes to exactly the frames' values,
    and what the whole decoder returns for the region agrees with it."""
    for events in (False, True):
        region = b"".join(
            (b"event: " + t + b"\n" if events else b"") + b"data: " + p + b"\n\n" + junk for p, t, junk in frames
        )
        proof = (regular_event_region if events else regular_data_region)(region, 0, len(region))
        regular = all(junk == b"" for _, _, junk in frames[:-1]) and frames[-1][2] in (b"", b"\n")
        assert (proof is not None) is (regular and frames[-1][2] == b""), region
        if proof is not None:
            assert _decode(proof[0]) == [json.loads(p) for p, _, _ in frames] and proof[1] == len(frames)
            assert [e.k for e in orm.decode_sse(region, errors="replace") if hasattr(e, "k")] == []
