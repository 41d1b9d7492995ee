"""Issue 17, cases 7 and 9 (the parts without a service): a Kafka value with a BOM, decode_array with an element
nested too deep, resuming SSE with a known last event ID, and the services helper where redis-server is absent.
The broker and server halves are in tests/integrations/test_hostile_services.py."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import kafka_records

import openresponses_msgspec as orm
from openresponses_msgspec import DecodeError, Decoder, InvalidEvent, SSEDecoder, UnknownEvent
from openresponses_msgspec.kafka import (
    ConfluentDeserializer,
    KafkaInvalidEvent,
    aiokafka_deserializer,
    decode_messages,
)

GEN = (
    b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,'
    b'"delta":"Hi","logprobs":[],"sequence_number":1}'
)
BOM = b"\xef\xbb\xbf"


# -- case 7: a BOM decodes the same wherever the value sits ----------------------------------------------------


@pytest.mark.parametrize("where", ["first", "middle", "last", "alone"])
def test_kafka_bom_value_decodes_in_every_position(where: str) -> None:
    """Before: decoded only as the first message of a batch of two or more (the batch buffer's BOM)."""
    values = {
        "first": [BOM + GEN, GEN, GEN],
        "middle": [GEN, BOM + GEN, GEN],
        "last": [GEN, GEN, BOM + GEN],
        "alone": [BOM + GEN],
    }[where]
    assert decode_messages(kafka_records(values)) == [orm.decode(GEN)] * len(values)


def test_kafka_bom_value_through_the_deserializers_and_chunks() -> None:
    assert ConfluentDeserializer()(BOM + GEN) == orm.decode(GEN)
    assert aiokafka_deserializer()(BOM + GEN) == orm.decode(GEN)
    assert aiokafka_deserializer(errors="strict")(BOM + GEN) == orm.decode(GEN)
    assert aiokafka_deserializer(format="ndjson")(BOM + GEN + b"\n" + GEN) == [orm.decode(GEN)] * 2


def test_kafka_bad_value_after_a_bom_is_located_after_it() -> None:
    """A bad value with a BOM: the same error in every position, ``offset`` 3 (where the JSON starts), ``raw``
    the whole value; only one BOM is skipped, and a BOM inside a value is no part of JSON."""
    bad = BOM + b'{"type":"response.output_text.delta","output_index":"zero"}'
    for values in ([bad], [bad, GEN], [GEN, bad], [GEN, bad, GEN]):
        out = decode_messages(kafka_records(values))
        ev = next(e for e in out if isinstance(e, InvalidEvent))
        assert isinstance(ev, KafkaInvalidEvent) and ev.raw == bad and ev.offset == 3 and ev.error.offset == 3
        assert ev.error.path == "$.output_index"
        assert [e for e in out if not isinstance(e, InvalidEvent)] == [orm.decode(GEN)] * (len(values) - 1)
    for values in ([BOM + BOM + GEN], [GEN, BOM + BOM + GEN], [GEN, b" " + BOM + GEN]):
        out = decode_messages(kafka_records(values))
        assert isinstance(out[-1], KafkaInvalidEvent) and out[-1].raw == values[-1], values


# -- case 9a: decode_array with an element nested too deep -----------------------------------------------------


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_decode_array_replaces_an_element_nested_too_deep(depth: int) -> None:
    """Before: ``errors="replace"`` raised "nesting too deep" for the whole array."""
    deep = b'{"type":"x.deep","a":' + b"[" * depth + b"]" * depth + b"}"
    buf = b"[" + GEN + b",\n " + deep + b" ,\n" + GEN + b',"}],[{",' + GEN + b"]"
    out = orm.decode_array(buf, errors="replace")
    assert len(out) == 5
    assert out[0] == out[2] == out[4] == orm.decode(GEN)
    bad = out[1]
    assert isinstance(bad, InvalidEvent) and bad.index == 1 and bad.line == 2 and bad.raw == deep
    assert bad.offset == buf.index(deep) and "nesting too deep" in str(bad.error)
    assert isinstance(out[3], InvalidEvent) and out[3].raw == b'"}],[{"' and out[3].index == 3
    with pytest.raises(DecodeError, match="nesting too deep") as info:
        orm.decode_array(buf)
    assert info.value.index == 1 and info.value.line == 2
    assert orm.decode_array(b"[" + deep + b"]", errors="replace")[0].raw == deep  # type: ignore[union-attr]


_DEEP = b"[" * 3000 + b"]" * 3000


@pytest.mark.parametrize(
    "buf",
    [
        b"[" + GEN + b"," + _DEEP,  # truncated
        b"[" + GEN + b"," + _DEEP + b",",
        b"[" + _DEEP + b"] x",  # trailing characters
        b"[" + _DEEP + b"]]",
        b"[" + _DEEP + b",]",  # a trailing comma
        b"[," + _DEEP + b"]",
        b"[" + _DEEP + b"}]",  # mismatched brackets
        b"[" + _DEEP[:-1] + b"}]",
        b" {" + _DEEP + b"]",  # not an array
    ],
)
def test_decode_array_with_a_deep_element_still_rejects_a_malformed_array(buf: bytes) -> None:
    """Framing without msgspec is as strict about the array itself as msgspec is."""
    with pytest.raises(DecodeError):
        orm.decode_array(buf, errors="replace")


def test_decode_array_too_deep_with_a_raised_recursion_limit() -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(50_000)
    try:
        deep = b"[" * 20_000 + b"]" * 20_000
        out = orm.decode_array(b"[" + GEN + b"," + deep + b"]", errors="replace")
    finally:
        sys.setrecursionlimit(old)
    assert out[0] == orm.decode(GEN) and isinstance(out[1], InvalidEvent) and out[1].index == 1


# -- case 9b: resuming SSE with the last event ID a reconnect sent ---------------------------------------------


def _frame(payload: bytes, id_: bytes | None = None) -> bytes:
    return (b"id: " + id_ + b"\n" if id_ is not None else b"") + b"data: " + payload + b"\n\n"


def test_sse_decoder_keeps_a_given_last_event_id_until_an_id_line() -> None:
    """Before: the given ID was dropped at the first event without an id: line (WHATWG keeps it)."""
    dec = SSEDecoder(last_event_id="41")
    assert dec.last_event_id == "41"
    assert dec.feed(_frame(GEN) + _frame(GEN)) == [orm.decode(GEN)] * 2
    assert dec.last_event_id == "41"
    assert dec.feed(_frame(GEN, b"42")) == [orm.decode(GEN)] and dec.last_event_id == "42"
    assert dec.feed(_frame(GEN)) == [orm.decode(GEN)] and dec.last_event_id == "42"
    dec.feed(b"id\n" + _frame(GEN))  # an empty id: resets it, as WHATWG says
    assert dec.close() == [] and dec.last_event_id == ""
    big = b"".join(_frame(GEN) for _ in range(3000))  # long enough for the bulk path
    dec2 = SSEDecoder(last_event_id="x-1")
    assert len(dec2.feed(big)) == 3000 and dec2.last_event_id == "x-1"


def test_last_event_id_through_every_entry_point() -> None:
    data = _frame(GEN) + _frame(b'{"type":"x.y"}')
    want = [orm.decode(GEN), UnknownEvent("x.y", b'{"type":"x.y"}')]
    dec = SSEDecoder(last_event_id="7")
    assert list(orm.iter_sse([data], decoder=dec)) == want and dec.last_event_id == "7"
    d = Decoder()
    s = d.sse_decoder(last_event_id="8")
    assert s.feed(data) == want and s.last_event_id == "8"
    assert list(d.iter_sse([data], last_event_id="9")) == want
    assert list(orm.iter_sse([data], last_event_id="9", errors="replace")) == want

    async def chunks() -> Any:
        yield data

    async def run() -> list[Any]:
        out = [e async for e in orm.aiter_sse(chunks(), last_event_id="10")]
        return out + [e async for e in d.aiter_sse(chunks(), last_event_id="10")]

    assert asyncio.run(run()) == want * 2
    with pytest.raises(TypeError, match="last_event_id"):
        orm.iter_sse([data], decoder=SSEDecoder(last_event_id="1"), last_event_id="2")
    assert list(orm.iter_sse([data], decoder=SSEDecoder(last_event_id="1"), last_event_id="1")) == want
    for bad in ("a\nb", "a\rb", "a\0b", 5):
        with pytest.raises(ValueError, match="last_event_id"):
            SSEDecoder(last_event_id=bad)  # type: ignore[arg-type]


# -- case 9d: a test that needs redis-server skips (or fails under CI) where it is absent ---------------------


def test_services_missing_redis_server_leaks_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: start() opened its log file, then raised from _argv(): the file stayed open (a ResourceWarning
    that failed an unrelated test) and the test that started it errored instead of skipping."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    try:
        import services
    finally:
        sys.path.pop(0)
    from tests.integrations import integ_support

    monkeypatch.setenv("PATH", str(tmp_path))  # no redis-server on it
    server = services.Redis(persist=True)
    logdir = server.log.parent
    with pytest.raises(services.ServiceError, match="redis-server not found"):
        server.start()
    assert server._logf is None and server.proc is None
    server.cleanup()
    assert not logdir.exists()
    monkeypatch.setattr(integ_support, "CI", False)
    with pytest.raises(pytest.skip.Exception, match="redis-server unavailable"):
        with integ_support.started(services.Redis(persist=True), "redis-server"):
            raise AssertionError("not reached")
    monkeypatch.setattr(integ_support, "CI", True)
    with pytest.raises(pytest.fail.Exception, match="redis-server unavailable"):
        with integ_support.started(services.Redis(), "redis-server"):
            raise AssertionError("not reached")
