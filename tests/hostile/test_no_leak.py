"""No reference cycle through a ``gc=False`` event, on any decode path (issue 17, case 1).

Events are ``gc=False`` Structs: the collector never traverses them, so a cycle that passes through one is never
freed. Every stand-in kind (``InvalidValue``, ``UnknownValue``, ``InvalidEvent``, ``UnknownEvent``) is decoded
here through every API, in a loop, and the count of tracked objects must come back to where it was. Before the
fix, each event holding an ``InvalidValue`` kept a ``DecodeError`` whose traceback frames reached the event and
the batch's result list: decode_lines of 100,000 such events, dropped, left +3.1 M objects.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers import kafka_records

import openresponses_msgspec as orm
from openresponses_msgspec import (
    DecodeError,
    Decoder,
    InvalidEvent,
    InvalidValue,
    SSEDecoder,
    UnknownEvent,
    UnknownValue,
    View,
)

pytestmark = pytest.mark.slow  # each test loops a decode path until the collector's count settles

GOOD = (
    b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,'
    b'"delta":"Hi","logprobs":[],"sequence_number":1}'
)
INVALID_VALUE = b'{"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":5}}'
UNKNOWN_VALUE = b'{"type":"response.output_item.added","output_index":0,"item":{"type":"future_item","id":"x"}}'
INVALID_EVENT = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero"}'
NOT_JSON = b'{"type":"response.output_text.delta", oops'
UNKNOWN_EVENT = b'{"type":"response.future_event","x":[1,{"y":2}]}'
CAMEL_INVALID_VALUE = b'{"type":"response.output_item.added","outputIndex":0,"item":{"type":"message","id":5}}'

VALUES = [GOOD, INVALID_VALUE, UNKNOWN_VALUE, INVALID_EVENT, NOT_JSON, UNKNOWN_EVENT]
ROUNDS = 15  # decodes per API after the warm-up (the old code leaked >= 195 tracked objects per round here)
COPIES = 10
TOLERANCE = 300  # objects: caches settle in the warm-up; the old code left 4,876 to 21,751 per API in 25 rounds


def _ndjson(values: list[bytes] = VALUES) -> bytes:
    return b"\n".join(values * COPIES) + b"\n"


def _array(values: list[bytes] = VALUES) -> bytes:
    """(Malformed JSON fails a whole array: a wrong-shaped element stands in for it.)"""
    return b"[" + b",\n".join([v if v != NOT_JSON else b'{"type":7}' for v in values] * COPIES) + b"]"


def _sse(values: list[bytes] = VALUES) -> bytes:
    return b"".join(b"id: %d\ndata: %s\n\n" % (i, v) for i, v in enumerate(values * COPIES)) + b"data: [DONE]\n\n"


class Delta(View, tag="response.output_text.delta"):
    delta: str


class Added(View, tag="response.output_item.added"):
    output_index: int
    item: orm.OutputItem | None = None  # (optional: a required field that fails fails the event)


def _kinds(events: list[Any]) -> set[type]:
    """The stand-in kinds among ``events`` (InvalidValue/UnknownValue inside an output_item.added)."""
    kinds: set[type] = set()
    for ev in events:
        if isinstance(ev, (InvalidEvent, UnknownEvent)):
            kinds.add(InvalidEvent if isinstance(ev, InvalidEvent) else UnknownEvent)
        item = getattr(ev, "item", None)
        if isinstance(item, (InvalidValue, UnknownValue)):
            kinds.add(type(item))
    return kinds


ALL_KINDS = {InvalidValue, UnknownValue, InvalidEvent, UnknownEvent}


def _one_by_one(decoder: Decoder[Any]) -> list[Any]:
    out: list[Any] = []
    for v in VALUES * COPIES:
        try:
            out.append(decoder.decode(v))
        except DecodeError as err:  # strict: the raised error (and its traceback) is dropped too
            out.append(InvalidEvent(err, v))
    return out


def _strict_lines() -> list[Any]:
    """Strict mode raises at the first bad line: the partial work and the traceback must go too."""
    with pytest.raises(DecodeError):
        orm.decode_lines(_ndjson())
    return orm.decode_lines(_ndjson([GOOD, INVALID_VALUE, UNKNOWN_VALUE, UNKNOWN_EVENT]))


def _sse_decoder() -> list[Any]:
    dec = SSEDecoder(errors="replace")
    data = _sse()
    out: list[Any] = []
    for i in range(0, len(data), 97):
        out += dec.feed(data[i : i + 97])
    return out + dec.close()


def _aiter() -> list[Any]:
    async def chunks() -> Any:
        data = _sse()
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]

    async def run() -> list[Any]:
        return [ev async for ev in orm.aiter_sse(chunks(), errors="replace")]

    return asyncio.run(run())


def _files(data: bytes, fmt: str | None = None, gz: bool = False) -> Callable[[], list[Any]]:
    def run() -> list[Any]:
        raw = gzip.compress(data) if gz else data
        return [
            ev
            for batch in orm.iter_batches(io.BytesIO(raw), format=fmt, errors="replace")  # type: ignore[arg-type]
            for ev in batch
        ]

    return run


def _events_file() -> list[Any]:
    return list(orm.iter_events(io.BytesIO(_ndjson()), errors="replace"))


def _kafka_batch() -> list[Any]:
    from openresponses_msgspec.kafka import decode_messages

    return decode_messages(kafka_records(VALUES * COPIES))


def _kafka_chunks() -> list[Any]:
    from openresponses_msgspec.kafka import decode_messages

    return decode_messages(kafka_records([_sse()] * 3), format="sse")


def _kafka_deserializers() -> list[Any]:
    from openresponses_msgspec.kafka import ConfluentDeserializer, KafkaPythonDeserializer, aiokafka_deserializer

    out: list[Any] = []
    c, k, a = ConfluentDeserializer(), KafkaPythonDeserializer(), aiokafka_deserializer()
    for v in VALUES * COPIES:
        out += [c(v), k.deserialize("t", [], v), a(v)]
    return out


CAMEL = Decoder(naming="camel")
VIEWS = Decoder(views=[Delta, Added])
ONLY = Decoder(only=["response.output_item.added"])

APIS: dict[str, Callable[[], list[Any]]] = {
    "decode": lambda: _one_by_one(orm.Decoder()),
    "decode_lines": lambda: orm.decode_lines(_ndjson(), errors="replace"),
    "decode_lines strict": _strict_lines,
    "decode_array": lambda: orm.decode_array(_array(), errors="replace"),
    "decode_sse": lambda: orm.decode_sse(_sse(), errors="replace"),
    "SSEDecoder": _sse_decoder,
    "iter_sse": lambda: list(orm.iter_sse(io.BytesIO(_sse()), errors="replace")),
    "aiter_sse": _aiter,
    "iter_batches ndjson": _files(_ndjson()),
    "iter_batches array": _files(_array()),
    "iter_batches sse gzip": _files(_sse(), gz=True),
    "iter_events": _events_file,
    "kafka decode_messages": _kafka_batch,
    "kafka sse chunks": _kafka_chunks,
    "kafka deserializers": _kafka_deserializers,
    "views": lambda: VIEWS.decode_lines(_ndjson(), errors="replace"),
    "only": lambda: ONLY.decode_array(_array(), errors="replace"),
    "camel": lambda: CAMEL.decode_lines(_ndjson([*VALUES, CAMEL_INVALID_VALUE]), errors="replace"),
    "camel sse": lambda: CAMEL.decode_sse(_sse([*VALUES, CAMEL_INVALID_VALUE]), errors="replace"),
}


def _tracked_after(run: Callable[[], Any], rounds: int) -> int:
    for _ in range(rounds):
        run()
    gc.collect()
    gc.collect()
    return len(gc.get_objects())


@pytest.fixture(autouse=True)
def _quiet_gc() -> Iterator[None]:
    gc.collect()
    yield


@pytest.mark.filterwarnings("ignore:(read|open)_text is deprecated:DeprecationWarning")  # kafka-python 3.0 import
@pytest.mark.parametrize("api", list(APIS))
def test_every_stand_in_kind_is_freed(api: str) -> None:
    run = APIS[api]
    first = run()
    if api not in ("only", "kafka sse chunks", "decode_lines strict"):
        assert _kinds(first) == ALL_KINDS, api  # the test decodes what it claims to
    assert len(first) >= 4 * COPIES
    base = _tracked_after(run, 3)  # warm-up: per-type caches, twin classes, interned strings
    after = _tracked_after(run, ROUNDS)
    assert after - base < TOLERANCE, f"{api}: {after - base} objects left after {ROUNDS} rounds"


def test_invalid_value_error_is_detached() -> None:
    ev = orm.decode(INVALID_VALUE)
    assert isinstance(ev.item, InvalidValue)  # type: ignore[union-attr]
    err = ev.item.error  # type: ignore[union-attr]
    assert err.path == "$.item.id" and err.__traceback__ is None and err.__context__ is None
    bad = orm.decode_lines(INVALID_EVENT, errors="replace")[0]
    assert isinstance(bad, InvalidEvent) and bad.error.__traceback__ is None and bad.error.__context__ is None


def test_many_invalid_values_leave_nothing() -> None:
    """The issue's measurement, smaller: 10,000 lines holding an InvalidValue, decoded and dropped (the old code
    left about 16 tracked objects per line)."""
    buf = (INVALID_VALUE + b"\n") * 10_000
    orm.decode_lines(buf)
    gc.collect()
    base = len(gc.get_objects())
    for _ in range(3):
        orm.decode_lines(buf)
    gc.collect()
    assert len(gc.get_objects()) - base < TOLERANCE
