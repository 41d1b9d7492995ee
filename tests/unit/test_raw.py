"""Original bytes beside each event (``raw=True``, issue #16): every framing returns ``Framed(event, raw)`` with
``raw`` exactly the event's own bytes (the NDJSON line without its line end, the SSE event's data, the array
element's text), the same events as ``raw=False`` in the same places, in both error modes.

The properties run on mutated realistic streams (corpus events dropped, duplicated, swapped, truncated,
stripped of optional fields, their ids rotated and sequence numbers removed, with unknown events, keep-alives,
garbage, blank lines, CRLF and BOMs), built by hand so that the expected raw slices are known independently
of the decoder."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec import DecodeError, Decoder, Framed, InvalidEvent, SSEDecoder, UnknownEvent

JSON_WS = b" \t\r\n"
BOM = b"\xef\xbb\xbf"
Stream = tuple[bytes, list[bytes]]  # a buffer and the raw bytes of its events, known independently
_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

# -- mutated realistic streams --------------------------------------------------------------------------------

_STREAMS = [orm.corpus.events("text", 40), orm.corpus.events("mixed", 40, image_kb=1)]
_OPTIONAL = ("sequence_number", "logprobs", "obfuscation", "item_id", "content_index", "output_index")
_EXTRA = [
    {"type": "keepalive", "sequence_number": 7},  # an unknown event (OpenRouter-style keep-alive)
    {"type": "response.output_text.delta", "delta": 5},  # a wrong type: lenient decode or invalid
    {"type": "response.future_thing", "payload": {"a": [1, None, 2.5e300]}},
    {
        "type": "response.output_text.delta",
        "item_id": "m",
        "output_index": 0,
        "content_index": 0,
        "delta": "caf\u00e9 \u2603 \U0001f600",
        "sequence_number": 1,
        "x_extra": None,
    },
    {"no_type": True},
    [1, 2],
    "text",
    None,
]


@st.composite
def event_dicts(draw: st.DrawFn) -> list[Any]:
    """A realistic stream, mutated: the JSON values (dicts, or a stray non-object) in order."""
    events: list[Any] = [dict(e) for e in draw(st.sampled_from(_STREAMS))]
    events = events[: draw(st.integers(0, len(events)))]
    for _ in range(draw(st.integers(0, 6))):
        if not events:
            break
        i = draw(st.integers(0, len(events) - 1))
        how = draw(st.sampled_from(["drop", "dup", "swap", "strip", "rotate", "noseq", "insert"]))
        if how == "drop":
            del events[i]
        elif how == "dup":
            events.insert(i, events[i])
        elif how == "swap":
            j = draw(st.integers(0, len(events) - 1))
            events[i], events[j] = events[j], events[i]
        elif how == "insert":
            events.insert(i, draw(st.sampled_from(_EXTRA)))
        elif isinstance(events[i], dict):
            ev = dict(events[i])
            if how == "strip":
                for k in _OPTIONAL:
                    ev.pop(k, None)
            elif how == "rotate" and isinstance(ev.get("response"), dict):
                ev["response"] = {**ev["response"], "id": "resp_rotated"}
            elif how == "noseq":
                ev.pop("sequence_number", None)
            events[i] = ev
    return events


def _encode(value: Any, spaced: bool) -> bytes:
    return json.dumps(value, separators=(", ", ": ") if spaced else (",", ":"), ensure_ascii=spaced).encode()


@st.composite
def ndjson_streams(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    """An NDJSON buffer and its non-blank lines as the decoder defines them (no BOM, no CR of a CRLF)."""
    lines: list[bytes] = []
    for value in draw(event_dicts()):
        line = _encode(value, draw(st.booleans()))
        kind = draw(st.integers(0, 12))
        if kind == 0:
            line = line[: draw(st.integers(1, len(line)))]  # truncated
        elif kind == 1:
            line = b"  " + line + b" \t"  # padded (still one value)
        elif kind == 2:
            line = line + b" " + line  # two values on one line: a bad line
        elif kind == 3:
            line = draw(st.sampled_from([b"[DONE]", b"{", b"not json", b"\xff\xfe{}", b'{"type":"x","s":"\xc3"}']))
        lines.append(line)
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from([b"", b" ", b"\t", b"\r", b"  \r"])))  # blank lines
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"mixed"]))
    if eol == b"mixed":
        data = b"".join(line + draw(st.sampled_from([b"\n", b"\r\n"])) for line in lines)
    else:
        data = eol.join(lines) + (eol if draw(st.booleans()) else b"")
    if draw(st.integers(0, 4)) == 0:
        data = BOM + data
    return data, expected_lines(data)


def expected_lines(data: bytes) -> list[bytes]:
    """The non-blank lines of an NDJSON buffer, each without its line end (LF, or CR LF)."""
    if data.startswith(BOM):
        data = data[3:]
    return [line.removesuffix(b"\r") for line in data.split(b"\n") if line.strip(JSON_WS)]


def _outcome(fn: Any, *args: Any, **kw: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args, **kw)
    except DecodeError as err:
        return "error", (str(err), err.line, err.offset, err.index, err.raw)


def _check_pairs(framed: list[Framed[Any]], plain: list[Any], raws: list[bytes] | None) -> None:
    assert all(type(f) is Framed for f in framed)
    assert [f.event for f in framed] == plain  # the same events in the same places
    if raws is not None:
        assert [f.raw for f in framed] == raws
    for f in framed:
        assert type(f.raw) is bytes
        if isinstance(f.event, InvalidEvent):
            assert f.raw == f.event.raw
        else:
            assert orm.decode(f.raw) == f.event  # the raw bytes decode to the event itself


def _both_modes(decode: Any, data: Any, raws: list[bytes] | None) -> None:
    replaced = decode(data, errors="replace", raw=True)
    _check_pairs(replaced, decode(data, errors="replace"), raws)
    strict, plain = _outcome(decode, data, raw=True), _outcome(decode, data)
    assert strict[0] == plain[0]
    if strict[0] == "ok":
        _check_pairs(strict[1], plain[1], raws)
        assert not any(isinstance(f.event, InvalidEvent) for f in replaced)
    else:
        assert strict == plain  # the same error, same place
        first = next(f.event for f in replaced if isinstance(f.event, InvalidEvent))
        assert (first.line, first.offset, first.index) == strict[1][1:4]


# -- NDJSON -----------------------------------------------------------------------------------------------------


@_SETTINGS
@given(stream=ndjson_streams())
def test_ndjson_raw_is_each_non_blank_line(stream: tuple[bytes, list[bytes]]) -> None:
    data, lines = stream
    _both_modes(orm.decode_lines, data, lines)
    _both_modes(orm.decode_lines, memoryview(data), lines)  # read window by window
    _both_modes(Decoder(naming="snake").decode_lines, bytearray(data), lines)


@_SETTINGS
@given(stream=ndjson_streams(), limit=st.sampled_from([1, 40, 200, 5000]))
def test_ndjson_raw_max_line_size(stream: tuple[bytes, list[bytes]], limit: int) -> None:
    """A line over max_line_size is a bad line in both modes; its raw is what its InvalidEvent keeps (the
    first KiB at most), the other lines' raw is the whole line."""
    data, _ = stream
    physical = (data[3:] if data.startswith(BOM) else data).split(b"\n")  # each line with its CR, if any
    lines = [
        line.removesuffix(b"\r") if len(line) <= limit else line[: min(1024, limit + 1)]
        for line in physical
        if line.strip(JSON_WS)
    ]
    for buf in (data, memoryview(data)):
        replaced = orm.decode_lines(buf, errors="replace", max_line_size=limit, raw=True)
        _check_pairs(replaced, orm.decode_lines(buf, errors="replace", max_line_size=limit), lines)
        assert (
            _outcome(orm.decode_lines, buf, max_line_size=limit, raw=True)[0]
            == _outcome(orm.decode_lines, buf, max_line_size=limit)[0]
        )


def test_ndjson_raw_line_longer_than_a_window() -> None:
    good = b'{"type":"response.keep_alive"}'
    huge = b'{"type":"x","pad":"' + b"p" * (600 << 10) + b'"}'
    data = good + b"\n" + huge + b"\n" + good + b"\n"
    for buf in (data, memoryview(data)):
        got = orm.decode_lines(buf, errors="replace", max_line_size=1 << 16, raw=True)
        assert [f.raw for f in got] == [good, huge[:1024], good]
        assert [f.event for f in got] == orm.decode_lines(buf, errors="replace", max_line_size=1 << 16)
        assert orm.decode_lines(buf, raw=True)[1].raw == huge  # under the default limit: the whole line


def test_ndjson_raw_examples() -> None:
    data = BOM + b'{"type":"response.keep_alive"}\r\n\r\n  \n{"type":"zz", "k": null}\n{bad\r\n{"type":"a"}\r'
    got = orm.decode_lines(data, errors="replace", raw=True)
    assert [f.raw for f in got] == [
        b'{"type":"response.keep_alive"}',
        b'{"type":"zz", "k": null}',
        b"{bad",
        b'{"type":"a"}',
    ]
    assert got[1].event == UnknownEvent("zz", b'{"type":"zz", "k": null}')
    bad = got[2].event
    assert isinstance(bad, InvalidEvent) and (bad.line, bad.offset, bad.raw) == (5, 65, b"{bad")
    with pytest.raises(DecodeError) as exc:
        orm.decode_lines(data, raw=True)
    assert (exc.value.line, exc.value.offset) == (5, 65)
    assert orm.decode_lines(b"", raw=True) == [] and orm.decode_lines(b"\n \n", raw=True) == []


def test_ndjson_raw_keeps_what_the_model_drops() -> None:
    """The point of raw: unknown fields, explicit nulls, number spellings and key order stay as written."""
    line = (
        b'{"sequence_number":3,"type":"response.output_text.delta","item_id":"m","output_index":0,'
        b'"content_index":0,"delta":"Hi","logprobs":null,"x_new":{"a":1.50}}'
    )
    ((event, raw),) = orm.decode_lines(line + b"\n", raw=True)
    assert isinstance(event, orm.ResponseOutputTextDeltaEvent) and event.delta == "Hi"
    assert raw == line and b"x_new" not in orm.encode(event)


def test_ndjson_raw_large_mutated_buffer_matches_the_window_path() -> None:
    """Over several windows of the fast path (256 KiB each), with needles, blank runs and CRLF inside: the raw
    results line up with the bulk-decoded ones, one per non-blank line."""
    base = orm.corpus.ndjson(orm.corpus.events("mixed", 3000, image_kb=1)).split(b"\n")[:-1]
    lines: list[bytes] = []
    for i, line in enumerate(base):
        lines.append(line)
        if i % 97 == 0:
            lines.append(b'{"type":"keepalive"}')
        if i % 211 == 0:
            lines.append(line[: len(line) // 2])
        if i % 53 == 0:
            lines.append(b"")
        if i % 401 == 0:
            lines.append(b"\n" * 300)  # a long run of empty lines
    data = b"\n".join(lines).replace(b"\n", b"\r\n", 40)
    assert len(data) > 2 * (1 << 18)
    raws = expected_lines(data)
    framed = orm.decode_lines(data, errors="replace", raw=True)
    _check_pairs(framed, orm.decode_lines(data, errors="replace"), raws)
    assert sum(isinstance(f.event, InvalidEvent) for f in framed) > 10
    assert sum(isinstance(f.event, UnknownEvent) for f in framed) > 30


def test_ndjson_raw_projection_and_camel() -> None:
    data = orm.corpus.ndjson(orm.corpus.events("text", 30))
    only = Decoder(only=["response.completed"])
    got = only.decode_lines(data, raw=True)
    assert [f.event for f in got] == only.decode_lines(data) and [f.raw for f in got] == data.splitlines()
    camel = orm.encode(orm.decode_lines(data)[0]).replace(b"sequence_number", b"sequenceNumber")
    ((event, raw),) = Decoder(naming="camel").decode_lines(camel, raw=True)
    assert raw == camel and event.sequence_number == orm.decode_lines(data)[0].sequence_number


def test_raw_false_results_are_unchanged() -> None:
    data = orm.corpus.ndjson(orm.corpus.events("mixed", 50, image_kb=1))
    assert orm.decode_lines(data, raw=False) == orm.decode_lines(data)
    assert not any(isinstance(e, Framed) for e in orm.decode_lines(data))


# -- arrays -------------------------------------------------------------------------------------------------


@st.composite
def array_streams(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    elements = [_encode(v, draw(st.booleans())) for v in draw(event_dicts())]
    seps = [draw(st.sampled_from([b",", b", ", b",\n  ", b" ,\r\n"])) for _ in elements]
    body = b"".join(
        e + (s if i < len(elements) - 1 else b"") for i, (e, s) in enumerate(zip(elements, seps, strict=True))
    )
    data = draw(st.sampled_from([b"[", b"[\n  ", b" [ "])) + body + draw(st.sampled_from([b"]", b"\n]\n"]))
    return data, elements


@_SETTINGS
@given(stream=array_streams())
def test_array_raw_is_each_element_text(stream: tuple[bytes, list[bytes]]) -> None:
    data, elements = stream
    _both_modes(orm.decode_array, data, elements)
    _both_modes(orm.decode_array, memoryview(data), elements)


def test_array_raw_errors() -> None:
    data = b'[{"type":"response.keep_alive"},\n {"no":1}, 7, {"type":"zz"}]'
    got = orm.decode_array(data, errors="replace", raw=True)
    assert [f.raw for f in got] == [b'{"type":"response.keep_alive"}', b'{"no":1}', b"7", b'{"type":"zz"}']
    assert [(f.event.index, f.event.line, f.event.offset) for f in got if isinstance(f.event, InvalidEvent)] == [
        (1, 2, 34),
        (2, 2, 44),
    ]
    for broken in (b"[{}", b"{}", b"", b"[1,]"):  # not an array at all: raises in both modes, as raw=False
        assert _outcome(orm.decode_array, broken, errors="replace", raw=True) == _outcome(
            orm.decode_array, broken, errors="replace"
        )
        assert _outcome(orm.decode_array, broken, errors="replace")[0] == "error"


# -- SSE -------------------------------------------------------------------------------------------------------


@st.composite
def sse_streams(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    """An SSE stream and the data payloads of its events (data lines joined by LF), [DONE] and empty ones
    excepted."""
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    parts = [BOM] if draw(st.integers(0, 5)) == 0 else []
    payloads: list[bytes] = []
    for value in draw(event_dicts()):
        kind = draw(st.integers(0, 9))
        payload = _encode(value, draw(st.booleans()))
        if kind == 0:
            payload = draw(st.sampled_from([b"[DONE]", b"", b" ", b"{bad", b"\xff{}"]))
        if draw(st.integers(0, 3)) == 0:
            parts.append(b": keep-alive" + eol)
        if draw(st.booleans()):
            parts.append(b"event: " + (value.get("type", "x") if isinstance(value, dict) else "x").encode() + eol)
        if draw(st.integers(0, 5)) == 0:
            parts.append(b"id: 42" + eol)
        if kind == 1 and len(payload) > 2:  # the data over two lines: joined by LF
            cut = draw(st.integers(1, len(payload) - 1))
            data_lines = [payload[:cut], payload[cut:]]
        else:
            data_lines = [payload]
        for d in data_lines:
            prefix = draw(st.sampled_from([b"data: ", b"data:"]))
            if prefix == b"data:" and d.startswith(b" "):
                prefix = b"data: "  # (one space after the colon is not part of the value)
            parts.append(prefix + d + eol)
        parts.append(eol)
        joined = b"\n".join(data_lines)
        if joined.strip(JSON_WS) not in (b"", b"[DONE]"):
            payloads.append(joined)
    if draw(st.booleans()):
        parts.append(b"data: [DONE]" + eol + eol)
    parts.append(b": end" + eol)  # (a body with no SSE line at all is an error of its own: test_sse)
    return b"".join(parts), payloads


def _feed(data: bytes, cuts: list[int], errors: str) -> list[Any]:
    dec = SSEDecoder(errors=errors, raw=True)
    out: list[Any] = []
    bounds = sorted({min(c, len(data)) for c in cuts})
    for a, b in zip([0, *bounds], [*bounds, len(data)], strict=True):
        out += dec.feed(data[a:b])
    return out + dec.close()


@_SETTINGS
@given(stream=sse_streams(), cuts=st.lists(st.integers(0, 30_000), max_size=6))
def test_sse_raw_is_each_event_data(stream: tuple[bytes, list[bytes]], cuts: list[int]) -> None:
    data, payloads = stream
    _both_modes(orm.decode_sse, data, payloads)
    whole = orm.decode_sse(data, errors="replace", raw=True)
    assert _feed(data, cuts, "replace") == whole  # chunked == whole
    assert list(orm.iter_sse(io.BytesIO(data), errors="replace", raw=True)) == whole


def test_sse_raw_large_stream_bulk_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long runs of frames go through the bulk regions (plain, event:-framed, with keep-alive comments, with an
    unknown event or a bad one inside): each region's payloads line up with its events."""
    lines = orm.corpus.ndjson(orm.corpus.events("mixed", 4000, image_kb=1)).split(b"\n")[:-1]
    lines[1500] = b'{"type":"keepalive"}'
    lines[2500] = b'{"type":"response.output_text.delta"'
    plain = b"".join(b"data: " + line + b"\n\n" for line in lines)
    framed = b"".join(
        b"event: e\ndata: " + line + b"\n\n" + (b": ping\n\n" if i % 40 == 0 else b"") for i, line in enumerate(lines)
    )
    commented = b"".join(
        b"data: " + line + b"\n\n" + (b": ping\n\n" if i % 40 == 0 else b"") for i, line in enumerate(lines)
    )
    from openresponses_msgspec._kernel import RawKernel

    regions: list[int] = []  # events per bulk region decoded (-1: a region given up, then frame by frame)
    frames = RawKernel.frames

    def counted(self: RawKernel, pieces: list[bytes]) -> list[Any] | None:
        got = frames(self, pieces)
        regions.append(-1 if got is None else len(got))
        return got

    monkeypatch.setattr(RawKernel, "frames", counted)
    for data in (plain, framed, commented):
        assert len(data) > 3 * (1 << 18)
        regions.clear()
        _both_modes(orm.decode_sse, data, lines)
        assert sum(n for n in regions if n > 0) > 2000  # most frames went through bulk regions
        assert data is not plain or -1 in regions  # the region holding the bad event was given up


def test_sse_raw_examples() -> None:
    data = b'event: x\r\ndata: {"type":\r\ndata: "zz"}\r\n\r\ndata: [DONE]\r\n\r\ndata: {bad\r\n\r\ndata: {"type":"q"}'
    got = orm.decode_sse(data, errors="replace", raw=True)
    assert [f.raw for f in got] == [b'{"type":\n"zz"}', b"{bad", b'{"type":"q"}']
    assert got[0].event == UnknownEvent("zz", b'{"type":\n"zz"}')
    cut = got[2].event  # the last event has no blank line: reported with its data
    assert isinstance(cut, InvalidEvent) and "stream ended inside an event" in str(cut.error)
    big = SSEDecoder(errors="replace", max_event_size=10, raw=True)
    (over,) = big.feed(b"data: " + b"x" * 50 + b"\n\n") + big.close()
    assert isinstance(over.event, InvalidEvent) and over.raw == over.event.raw == b"x" * 11
    done = SSEDecoder(raw=True)
    assert done.feed(b"data: [DONE]\n\n") == [] and done.done


def test_sse_raw_options() -> None:
    sse = b"data: " + orm.corpus.ndjson(orm.corpus.events("text", 1)).strip() + b"\n\n"
    own = SSEDecoder(raw=True)
    assert [f.raw for f in orm.iter_sse([sse], decoder=own)] == [sse[6:-2]]
    with pytest.raises(TypeError, match="raw=False conflicts"):
        orm.iter_sse([sse], decoder=own, raw=False)
    projection = Decoder(only=["response.created"])
    (f,) = projection.decode_sse(sse, raw=True)
    assert f.raw == sse[6:-2] and f.event == projection.decode_sse(sse)[0]

    async def collect() -> list[Any]:
        async def chunks() -> Any:
            yield sse[:10]
            yield sse[10:]

        return [x async for x in orm.aiter_sse(chunks(), raw=True)]

    import asyncio

    assert asyncio.run(collect()) == orm.decode_sse(sse, raw=True)


# -- odd inputs ------------------------------------------------------------------------------------------------


def test_raw_str_input_and_lone_surrogates() -> None:
    text = '{"type":"a"}\n{"type":"b\ud800"}\n'
    got = orm.decode_lines(text, errors="replace", raw=True)
    assert got[0].raw == b'{"type":"a"}' and isinstance(got[1].event, InvalidEvent)
    assert [f.event for f in got] == orm.decode_lines(text, errors="replace")


def test_raw_deep_nesting_under_a_raised_recursion_limit() -> None:
    import sys

    deep = b'{"type":"response.completed","response":' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    data = b'{"type":"a"}\n' + deep + b"\n"
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(50_000)
    try:
        got = orm.decode_lines(data, errors="replace", raw=True)
        assert [f.raw for f in got] == [b'{"type":"a"}', deep]
        assert isinstance(got[1].event, InvalidEvent) and "nesting too deep" in str(got[1].event.error)
        assert [f.event for f in got] == orm.decode_lines(data, errors="replace")
    finally:
        sys.setrecursionlimit(old)


def test_raw_pauses_and_restores_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import openresponses_msgspec._kernel as dec

    data = orm.corpus.ndjson(orm.corpus.events("text", 8000))  # over 256 KiB: paired with the collector paused
    assert gc.isenabled() and len(data) > 1 << 18
    seen: list[bool] = []
    real = dec.run_paused

    def spy(fn: Any, *args: object) -> Any:
        seen.append(gc.isenabled())
        return real(fn, *args)

    monkeypatch.setattr(dec, "run_paused", spy)
    got = orm.decode_lines(data, raw=True)
    assert seen == [True] and gc.isenabled() and len(got) == 8000
    assert [f.event for f in got] == orm.decode_lines(data)
    gc.disable()
    try:
        orm.decode_lines(data, raw=True)
        assert not gc.isenabled()  # left off when it was off
    finally:
        gc.enable()
    with pytest.raises(DecodeError):
        orm.decode_lines(b"{bad\n", raw=True)
    assert gc.isenabled()


def test_small_raw_calls_leave_the_collector_alone() -> None:
    """A live stream's chunk or a small batch: no pause, no collection of the raw path's own (a collect(1) per
    call would cost more than the call)."""
    import gc

    data = orm.corpus.ndjson(orm.corpus.events("text", 20))
    sse = SSEDecoder(raw=True)
    runs: list[int] = []
    gc.collect()
    gc.callbacks.append(lambda phase, info: runs.append(info["generation"]) if phase == "start" else None)
    try:
        for line in data.splitlines():
            sse.feed(b"data: " + line + b"\n\n")
        orm.decode_lines(data, raw=True)
    finally:
        gc.callbacks.pop()
    assert 1 not in runs and 2 not in runs


def test_raw_leaves_frozen_objects_frozen() -> None:
    """A process that froze its objects (gc.freeze() before forking workers) keeps them frozen."""
    import gc

    data = orm.corpus.ndjson(orm.corpus.events("text", 8000))
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        orm.decode_lines(data, raw=True)
        orm.decode_sse(b"".join(b"data: " + line + b"\n\n" for line in data.splitlines()), raw=True)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_framed_is_a_named_tuple() -> None:
    f = Framed(UnknownEvent("x", b"{}"), b"{}")
    event, raw = f
    assert (event, raw) == (f.event, f.raw) and f._fields == ("event", "raw")


# -- files: iter_events / iter_batches -------------------------------------------------------------------------


def _file_outcome(data: bytes, fmt: str, errors: str, raw: bool) -> tuple[str, Any]:
    try:
        return "ok", list(orm.iter_events(io.BytesIO(data), format=fmt, errors=errors, raw=raw))  # type: ignore[call-overload]
    except DecodeError as err:
        return "error", (str(err), err.line, err.offset, err.index)


@_SETTINGS
@given(
    kind=st.sampled_from(["ndjson", "sse", "array"]),
    ndjson=ndjson_streams(),
    sse=sse_streams(),
    array=array_streams(),
    block=st.sampled_from([64, 1000, 1 << 20]),
    gz=st.booleans(),
)
def test_files_raw_is_exact_in_every_format(
    kind: str, ndjson: Stream, sse: Stream, array: Stream, block: int, gz: bool
) -> None:
    """iter_events(raw=True) over a file cut in blocks of any size (gzip or not): the events of raw=False, each
    beside its exact bytes, in both error modes."""
    import gzip

    from openresponses_msgspec import _files

    data, raws = {"ndjson": ndjson, "sse": sse, "array": array}[kind]
    if kind == "array" and not raws:
        return
    source = gzip.compress(data) if gz else data
    old = _files.BLOCK_SIZE
    _files.BLOCK_SIZE = block
    try:
        for errors in ("replace", "strict"):
            framed, plain = _file_outcome(source, kind, errors, True), _file_outcome(source, kind, errors, False)
            assert framed[0] == plain[0]
            if framed[0] == "error":
                assert framed == plain
                continue
            assert [f.event for f in framed[1]] == plain[1]
            if errors == "replace" or not any(isinstance(e, InvalidEvent) for e in plain[1]):
                assert [f.raw for f in framed[1]] == raws
            batches = list(orm.iter_batches(io.BytesIO(source), format=kind, errors=errors, batch_size=3, raw=True))  # type: ignore[call-overload]
            assert [f for b in batches for f in b] == framed[1]
    finally:
        _files.BLOCK_SIZE = old
