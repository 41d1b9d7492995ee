"""Fuzzing the decoders with the invariants of issues #11 and #17 (``fuzz_invariants.py``): hypothesis builds
streams from pieces of real events (the corpus), broken and hostile payloads and every SSE field, with random
line ends and chunkings; files read in pieces of any size (plain or gzip cut into members anywhere, or
damaged), arrays of any elements, Kafka batches. A short run is part of the normal test command;
``tools/fuzz.py`` runs the same checks for long
(hypothesis, or atheris when installed)."""

from __future__ import annotations

import json
import os

import pytest
from fuzz_invariants import (
    array_of,
    check_array,
    check_file,
    check_gzip_damage,
    check_kafka,
    check_ndjson,
    check_sse,
    check_sse_text,
    detected,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openresponses_msgspec import corpus

pytestmark = pytest.mark.slow  # hypothesis properties, FUZZ_EXAMPLES each

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
NONBLOCKING = True  # file objects whose read1() sometimes returns None (nothing ready yet)

_EVENTS = [json.dumps(e, separators=(",", ":")).encode() for e in corpus.events("mixed", 60, image_kb=1)]
_HOSTILE = [
    b"",
    b"[DONE]",
    b" [DONE] ",
    b"{",
    b"}",
    b"{}",
    b"[]",
    b"null",
    b'"x"',
    b"1",
    b'{"type":1}',
    b'{"type":"response.output_text.delta"}',
    b'{"type":"x.y","a":"\xff"}',
    b'{"type":"x.y"} {"type":"x.z"}',
    b'{"type":"response.completed","response":' + b"[" * 3000 + b"]" * 3000 + b"}",
    b'{"a":' * 1200 + b"1" + b"}" * 1200,
    b"\xef\xbb\xbf{}",
    b'{"type":"x\\ud800"}',
    b"\x00\x0b\x0c",
    b'{"type":"response.keep_alive","pad":"' + b"p" * 300 + b'"}',
]
payloads = st.one_of(st.sampled_from(_EVENTS), st.sampled_from(_HOSTILE), st.binary(max_size=40))
eols = st.sampled_from([b"\n", b"\r\n", b"\r"])


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    parts = [b"\xef\xbb\xbf"] if draw(st.integers(0, 9)) == 0 else []
    for _ in range(draw(st.integers(0, 8))):
        eol = draw(eols)
        kind = draw(st.integers(0, 12))
        if kind <= 4:  # an ordinary frame, maybe with event:/id: lines, maybe with its data over lines
            if draw(st.booleans()):
                parts.append(b"event: " + draw(st.sampled_from([b"x", b"response.output_text.delta"])) + eol)
            if draw(st.integers(0, 3)) == 0:
                parts.append(b"id: " + draw(st.binary(max_size=6)).replace(b"\n", b"").replace(b"\r", b"") + eol)
            data = draw(payloads)
            if draw(st.integers(0, 4)) == 0 and len(data) > 2:
                cut = draw(st.integers(1, len(data) - 1))
                data_lines = [data[:cut], data[cut:]]
            else:
                data_lines = [data]
            for d in data_lines:
                d = d.replace(b"\r", b"").replace(b"\n", b"")
                parts.append(draw(st.sampled_from([b"data: ", b"data:", b"data:  "])) + d + eol)
            if draw(st.integers(0, 9)):
                parts.append(eol)  # the blank line (sometimes missing: events merge, or the stream is cut)
        elif kind == 5:
            parts.append(b":" + draw(st.binary(max_size=30)).replace(b"\n", b"").replace(b"\r", b"") + eol)
        elif kind == 6:
            parts.append(b"retry: " + draw(st.sampled_from([b"1500", b"9" * 5000, b"12x", b"-1", b""])) + eol)
        elif kind == 7:
            parts.append(eol * draw(st.integers(1, 3)))
        elif kind == 8:
            parts.append(draw(st.binary(max_size=60)))  # anything at all
        elif kind == 9:
            parts.append(b"data" + eol + eol)
        elif kind == 10:
            parts.append(draw(st.sampled_from([b'{"type":"a"}\n', b"<html>502</html>\n", b"unknown: f\n"])))
        else:
            parts.append(b"data: [DONE]" + eol + eol)
    return b"".join(parts)


@st.composite
def ndjson_batches(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 10))):
        k = draw(st.integers(0, 6))
        if k <= 2:
            line = draw(st.sampled_from(_EVENTS))
        elif k == 3:
            line = draw(st.sampled_from(_HOSTILE)).replace(b"\n", b"").lstrip(b"\xef\xbb\xbf")
        elif k == 4:
            line = draw(st.sampled_from([b"", b" ", b"\t", b"  \t "]))
        else:
            line = draw(st.binary(max_size=30)).replace(b"\n", b"").lstrip(b"\xef\xbb\xbf")
        if draw(st.integers(0, 4)) == 0:
            line += b"\r"
        lines.append(line)
    data = b"\n".join(lines)
    return data + b"\n" if draw(st.booleans()) else data


_cuts = st.lists(st.integers(min_value=0, max_value=20_000), max_size=10)
_limits = st.sampled_from([None, None, 1, 16, 100, 400])
_settings = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@_settings
@given(data=sse_streams(), cuts=_cuts, limit=_limits)
def test_sse_invariants(data: bytes, cuts: list[int], limit: int | None) -> None:
    check_sse(data, cuts, limit)


@_settings
@given(data=sse_streams(), size=st.sampled_from([1, 2, 3, 5]))
def test_sse_small_chunks_equal_whole(data: bytes, size: int) -> None:
    check_sse(data, list(range(size, len(data), size)), None)


@_settings
@given(data=ndjson_batches())
def test_ndjson_invariants(data: bytes) -> None:
    check_ndjson(data)


@_settings
@given(
    text=st.text(max_size=80).map(lambda t: 'data: {"type":"x.a","s":"' + t + '"}\n\n'),
    extra=st.sampled_from(["", "\ud800", "data: \udfff\n\n", "data: {\n\n"]),
    cuts=_cuts,
)
def test_sse_text_invariants(text: str, extra: str, cuts: list[int]) -> None:
    check_sse_text(text + extra + text, cuts)


def test_seeded_from_the_corpus() -> None:
    """The corpus's own streams, whole and in odd chunkings, under the invariants (a fixed seed set)."""
    for kind in corpus.KINDS:
        sse = corpus.sse(corpus.events(kind, 40, image_kb=1))
        check_sse(sse, list(range(0, len(sse), 97)), None)
        check_sse(sse, list(range(0, len(sse), 331)), 300)
        check_ndjson(corpus.ndjson(corpus.events(kind, 40, image_kb=1)))


# -- issue 17: files, arrays, Kafka batches (Redis entries: tests/integrations/test_fuzz_redis.py) -----------

_ELEMENTS = [
    *_EVENTS[:20],
    b"1",
    b'"x"',
    b"null",
    b"[]",
    b"{}",
    b'{"type":1}',
    b'{"type":"x.y","a":[[1,[2]],{}]}',
    b'[[1,[2]],{"a":"},{"}]',
    b'"},{},\\"],["',
    b'{"type":"x.y","s":"},{\\"type\\":\\"z\\"}"}',
    b'{"type":"response.completed","response":' + b"[" * 3000 + b"]" * 3000 + b"}",
    b"[" * 2500 + b"]" * 2500,
    b'{"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":5}}',
    b'{"type":"x\\u00e9"}',
    '{"type":"x.é"}'.encode(),
]
_SEPS = st.lists(st.sampled_from([b"", b" ", b"\n", b"\r\n  ", b"\t"]), max_size=4)


@st.composite
def arrays(draw: st.DrawFn) -> tuple[list[bytes], list[bytes]]:
    return draw(st.lists(st.sampled_from(_ELEMENTS), max_size=12)), draw(_SEPS)


@st.composite
def file_inputs(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["ndjson", "sse", "array"]))
    if kind == "ndjson":
        body = draw(ndjson_batches())
    elif kind == "sse":
        body = draw(sse_streams())
    else:
        els, seps = draw(arrays())
        body = array_of(els, seps)
    lead = draw(st.sampled_from([b"", b"", b"\n", b" " * 64, b"\n" * 200, b"\r\n" * 3000, b" \t" * 70_000]))
    bom = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf"]))
    return bom + lead + body if draw(st.booleans()) else lead + bom + body if bom else lead + body


_sizes = st.lists(st.sampled_from([0, 1, 2, 3, 7, 64, 65, 100, 4096, 65_536, 1 << 20]), min_size=1, max_size=6)
_members = st.one_of(st.none(), st.lists(st.integers(0, 200_000), max_size=4))


@_settings
@given(data=file_inputs(), sizes=_sizes, members=_members, explicit=st.booleans())
def test_file_invariants(data: bytes, sizes: list[int], members: list[int] | None, explicit: bool) -> None:
    check_file(data, detected(data) if explicit else None, sizes, members, nones=NONBLOCKING)


@_settings
@given(
    data=file_inputs(),
    members=st.lists(st.integers(0, 5000), max_size=3),
    where=st.integers(0, 1 << 20),
    junk=st.sampled_from([b"\n", b"\x00" * 8, b"  \n", b"garbage", b"\x1f\x8b", b"\x1f\x8b\x08\x00junk"]),
    mode=st.integers(0, 3),
)
def test_gzip_damage_invariants(data: bytes, members: list[int], where: int, junk: bytes, mode: int) -> None:
    check_gzip_damage(data, members, where, junk, mode)


@_settings
@given(arr=arrays())
def test_array_invariants(arr: tuple[list[bytes], list[bytes]]) -> None:
    check_array(*arr)


_VALUES = st.one_of(
    st.sampled_from(_EVENTS),
    st.sampled_from(_HOSTILE),
    st.binary(max_size=30),
    st.none(),
    st.sampled_from(_EVENTS).map(lambda v: b"\xef\xbb\xbf" + v),
    st.sampled_from(
        [
            b'{\n"type":"x.y"}',
            b'{"type":"x.y"}\n',
            b"\n",
            b" ",
            b"\xef\xbb\xbf",
            b"\xef\xbb\xbf\xef\xbb\xbf{}",
            b'{"type":"x.y"}\n{"type":"x.z"}',
        ]
    ),
)


@_settings
@given(values=st.lists(_VALUES, max_size=10))
def test_kafka_batch_invariants(values: list[bytes | None]) -> None:
    check_kafka(values)
