"""Message values (Kafka records, Redis stream entries, Spark rows) decode one way: a bad value is placed at
``offset=0`` of that value by all three (Spark used to say ``offset=None``), and a value that starts with a
BOM decodes wherever it sits in the batch."""

from __future__ import annotations

import json

from openresponses_msgspec import DecodeError, Framed, InvalidEvent, corpus, decode
from openresponses_msgspec._messages import DEFAULT, bulk_values, one_value
from openresponses_msgspec.spark import decode_values

BOM = b"\xef\xbb\xbf"


def _values(n: int) -> list[bytes]:
    return [json.dumps(e, separators=(",", ":")).encode() for e in corpus.events("text", n)]


def test_a_bad_value_is_placed_at_offset_0_of_its_value_by_spark_as_by_kafka_and_redis() -> None:
    values = _values(5)
    values[2] = b'{"type":"response.output_text.delta","delta":'  # cut short
    got = decode_values(values)
    bad = got[2]
    assert isinstance(bad, InvalidEvent)
    assert (bad.line, bad.offset, bad.index, bad.raw) == (None, 0, None, values[2])
    assert (bad.error.line, bad.error.offset, bad.error.raw) == (None, 0, values[2])
    assert bad == one_value(values[2], DEFAULT)  # what the Kafka and Redis integrations keep for it
    assert got == bulk_values(values, DEFAULT)
    assert [e for i, e in enumerate(got) if i != 2] == [decode(v) for i, v in enumerate(values) if i != 2]


def test_a_value_starting_with_a_bom_decodes_wherever_it_sits() -> None:
    values = _values(4)
    with_bom = [values[0], BOM + values[1], values[2], BOM + values[3]]
    assert decode_values(with_bom) == [decode(v) for v in values]
    framed = decode_values(with_bom, raw=True)
    assert [f.raw for f in framed] == values  # the BOM is no part of the event's bytes
    assert all(type(f) is Framed for f in framed)


def test_raw_pairs_each_event_with_its_value() -> None:
    values = _values(6)
    values[4] = b'{"type":"response.output_text.delta","sequence_number":"x"}'
    framed = decode_values(values, raw=True)
    assert [f.raw for f in framed] == values
    assert [f.event for f in framed] == decode_values(values)
    assert isinstance(framed[4].event, InvalidEvent) and framed[4].event.offset == 0


def test_relocated_moves_an_invalid_event_and_its_error_together() -> None:
    err = DecodeError("bad", line=3, offset=10, index=None, raw=b"x")
    ev = InvalidEvent(err, b"x", line=3, offset=10)
    moved = ev.relocated(line=None, offset=0, raw=b"xy")
    assert (moved.line, moved.offset, moved.index, moved.raw) == (None, 0, None, b"xy")
    assert (moved.error.line, moved.error.offset, moved.error.raw, moved.error.msg) == (None, 0, b"xy", "bad")
    shifted = ev.shifted(line=100, offset=1000, index=5)  # index was not set: it stays unset
    assert (shifted.line, shifted.offset, shifted.index) == (103, 1010, None)
    assert (shifted.error.line, shifted.error.offset, shifted.error.index) == (103, 1010, None)
    assert str(shifted.error) == "line 103, offset 1010: bad"
