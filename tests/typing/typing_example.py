"""A user-style typed example. tests/test_typing.py runs it, and type-checks it with ``mypy --strict`` and
``pyright`` (strict): every ``assert_type`` must hold, and every ``# type: ignore[...]`` marks an error the
checkers must report (an unused ignore is itself an error under both configurations)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, assert_type

import msgspec

from openresponses_msgspec import (
    Decoder,
    Event,
    Framed,
    InvalidEvent,
    ResponseCompletedEvent,
    ResponseOutputTextDeltaEvent,
    Skipped,
    SSEDecoder,
    StreamEvent,
    UnknownEvent,
    Usage,
    View,
    aiter_sse,
    decode,
    decode_array,
    decode_lines,
    decode_sse,
    encode,
    iter_sse,
)

DELTA = (
    b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,'
    b'"delta":"Hi","logprobs":[],"sequence_number":3}'
)
COMPLETED = (
    b'{"type":"response.completed","sequence_number":4,"response":{"id":"r","object":"response",'
    b'"created_at":1,"model":"m","status":"completed","output":[],"error":null,"incomplete_details":null,'
    b'"instructions":null,"metadata":{},"parallel_tool_calls":true,"temperature":1.0,"tool_choice":"auto",'
    b'"tools":[],"top_p":1.0,"usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12,'
    b'"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":0}}}}'
)
NDJSON = DELTA + b"\n" + b'{"type":"response.keep_alive"}\n' + COMPLETED + b"\n"

# -- one event, a batch, replace mode ------------------------------------------------------------------------

ev = decode(DELTA)
assert_type(ev, StreamEvent | UnknownEvent)
assert_type(ev, Event)

events = decode_lines(NDJSON)
assert_type(events, list[StreamEvent | UnknownEvent])
assert_type(decode_array(b"[" + DELTA + b"]"), list[Event])
assert_type(decode_sse(b"data: " + DELTA + b"\n\n"), list[Event])

kept = decode_lines(NDJSON + b"not json\n", errors="replace")
assert_type(kept, list[StreamEvent | UnknownEvent | InvalidEvent])
assert_type(decode_lines(NDJSON, max_line_size=1 << 20), list[Event])
assert_type(decode_lines(NDJSON, errors="replace", max_line_size=100), list[Event | InvalidEvent])

# -- narrowing ---------------------------------------------------------------------------------------------

text = ""
for e in events:
    if isinstance(e, UnknownEvent):  # a new or keep-alive event: skip it
        continue
    assert_type(e, StreamEvent)
    if e.type == "response.output_text.delta":  # .type is a Literal per class: == narrows a StreamEvent
        assert_type(e, ResponseOutputTextDeltaEvent)
        text += e.delta
        if TYPE_CHECKING:  # errors the checkers must report: a typo, and writing to a frozen event
            e.deltaa  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]  # noqa: B018
            e.delta = "x"  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
assert text == "Hi"

usage_out = 0
for e in events:
    match e:
        case ResponseCompletedEvent(response=response):
            assert_type(e, ResponseCompletedEvent)
            usage = response.usage  # a nested value that fails validation is kept as an InvalidValue
            if isinstance(usage, Usage):
                assert_type(usage.output_tokens, int)  # every spec requires it, no server omits it
                usage_out = usage.output_tokens
        case ResponseOutputTextDeltaEvent(delta=delta):
            assert_type(delta, str)
        case UnknownEvent(type=tag):
            assert_type(tag, str)
        case _:
            pass
assert usage_out == 7

bad_lines: list[int | None] = []
for item in kept:
    if isinstance(item, InvalidEvent):
        bad_lines.append(item.error.line)
    elif isinstance(item, ResponseOutputTextDeltaEvent):
        assert_type(item.delta, str)
assert bad_lines == [4]

# -- the Decoder class ---------------------------------------------------------------------------------------

full = Decoder()
assert_type(full, Decoder[StreamEvent])
assert_type(full.decode(DELTA), StreamEvent | UnknownEvent)
assert_type(full.decode_lines(NDJSON), list[StreamEvent | UnknownEvent])
assert_type(full.decode_lines(NDJSON, errors="replace"), list[StreamEvent | UnknownEvent | InvalidEvent])

only = Decoder(only=["response.completed"])
assert_type(only, Decoder[StreamEvent | Skipped])
assert_type(only.decode_lines(NDJSON), list[StreamEvent | Skipped | UnknownEvent])


class SlimUsage(msgspec.Struct, frozen=True):
    output_tokens: int


class CompletedResponse(msgspec.Struct, frozen=True):
    usage: SlimUsage | None = None


class Completed(View, tag="response.completed", frozen=True):  # (frozen=True: checkers need it restated)
    response: CompletedResponse


class Delta(View, tag="response.output_text.delta", frozen=True):
    delta: str


views: list[type[View]] = [Completed, Delta]
projection = Decoder(views=views)
assert_type(projection, Decoder[View | Skipped])
deltas: list[str] = []
for p in projection.decode_lines(NDJSON):
    assert_type(p, View | Skipped | UnknownEvent)
    if isinstance(p, Delta):
        deltas.append(p.delta)
    elif isinstance(p, Completed) and p.response.usage is not None:
        assert_type(p.response.usage.output_tokens, int)
    elif isinstance(p, Skipped):
        assert_type(p.type, str)
assert deltas == ["Hi"]

one_view = Decoder(views=[Delta])
assert_type(one_view, Decoder[Delta | Skipped])


class TextDone(View, tag="response.output_text.done", frozen=True):
    text: str


# several views in one list, as the README writes them: pyright types the decoder by the union of the views
# (Decoder[Completed | Delta | TextDone | Skipped]), mypy joins the classes (Decoder[View | Skipped]);
# isinstance narrows to each view in both
several = Decoder(views=[Completed, Delta, TextDone])
texts = [p.delta for p in several.decode_lines(NDJSON) if isinstance(p, Delta)]
usages = [p.response.usage for p in several.decode_lines(NDJSON) if isinstance(p, Completed)]
assert texts == ["Hi"] and usages == [SlimUsage(output_tokens=7)]
several_only = Decoder(views=(Completed, Delta), only=["error"])
assert [type(p).__name__ for p in several_only.decode_lines(NDJSON)] == ["Delta", "UnknownEvent", "Completed"]
camel = Decoder(naming="camel")
assert_type(camel, Decoder[StreamEvent])

# -- SSE ---------------------------------------------------------------------------------------------------

sse = b"data: " + DELTA + b"\n\n"
assert_type(SSEDecoder(), SSEDecoder[Event])
assert_type(SSEDecoder(errors="replace"), SSEDecoder[Event | InvalidEvent])
assert_type(SSEDecoder().feed(sse), list[Event])
assert_type(full.sse_decoder(), SSEDecoder[StreamEvent | UnknownEvent])
assert_type(projection.sse_decoder(errors="replace"), SSEDecoder[View | Skipped | UnknownEvent | InvalidEvent])
assert_type(projection.decode_sse(sse), list[View | Skipped | UnknownEvent])
for s in iter_sse([sse]):
    assert_type(s, Event)
for s2 in iter_sse([sse], decoder=projection):
    assert_type(s2, View | Skipped | UnknownEvent)
for s3 in iter_sse([sse], errors="replace"):
    assert_type(s3, Event | InvalidEvent)
own = SSEDecoder(errors="replace")
for s4 in iter_sse([sse], decoder=own):
    assert_type(s4, Event | InvalidEvent)
assert_type(SSEDecoder(last_event_id="41"), SSEDecoder[Event])  # resuming after Last-Event-ID: 41
assert_type(full.sse_decoder(last_event_id="41"), SSEDecoder[StreamEvent | UnknownEvent])
for s5 in iter_sse([sse], last_event_id="41"):
    assert_type(s5, Event)


async def chunks() -> AsyncIterator[bytes]:
    yield sse


async def collect() -> list[str]:
    return [a.type async for a in aiter_sse(chunks()) if isinstance(a, ResponseOutputTextDeltaEvent)]


assert asyncio.run(collect()) == ["response.output_text.delta"]
assert_type(encode(ev), bytes)

# -- original bytes (raw=True) -------------------------------------------------------------------------------

framed = decode_lines(NDJSON, raw=True)
assert_type(framed, list[Framed[Event]])
assert [f.raw for f in framed] == NDJSON.splitlines()
first_event, first_raw = framed[0]
assert_type(first_event, Event)
assert_type(first_raw, bytes)
assert_type(decode_lines(NDJSON, errors="replace", raw=True), list[Framed[Event | InvalidEvent]])
assert_type(decode_array(b"[" + DELTA + b"]", raw=True), list[Framed[Event]])
assert_type(decode_sse(sse, errors="replace", raw=True), list[Framed[Event | InvalidEvent]])
assert_type(full.decode_lines(NDJSON, raw=True), list[Framed[StreamEvent | UnknownEvent]])
assert_type(
    projection.decode_array(b"[" + DELTA + b"]", errors="replace", raw=True),
    list[Framed[View | Skipped | UnknownEvent | InvalidEvent]],
)
assert_type(full.decode_sse(sse, raw=True), list[Framed[StreamEvent | UnknownEvent]])
assert_type(SSEDecoder(raw=True), SSEDecoder[Framed[Event]])
assert_type(SSEDecoder(errors="replace", raw=True), SSEDecoder[Framed[Event | InvalidEvent]])
assert_type(full.sse_decoder(raw=True), SSEDecoder[Framed[StreamEvent | UnknownEvent]])
for f5 in iter_sse([sse], raw=True):
    assert_type(f5, Framed[Event])
for f6 in iter_sse([sse], decoder=projection, errors="replace", raw=True):
    assert_type(f6, Framed[View | Skipped | UnknownEvent | InvalidEvent])
for f7 in full.iter_sse([sse], raw=True):
    assert_type(f7, Framed[StreamEvent | UnknownEvent])
    assert f7.raw == DELTA
