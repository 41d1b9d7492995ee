"""Decoding message values (Kafka records, Redis stream entries, Spark rows), one event per value, in one call.

Each value holds one event. Joined by newlines, the values are an NDJSON buffer, and ``decode_lines`` decodes
it in one msgspec call when it can (its own counting proof). What makes the answer one item per *value*: the
joined buffer has exactly ``n - 1`` newlines (so no value holds a newline: each value is one line) and the
result has ``n`` items (``decode_lines`` skips blank lines, so no value was blank). A bad value is an
:class:`InvalidEvent` at ``offset=0`` of that value (``line`` is meaningless there: ``None``), ``raw`` the
whole value, wherever the value comes from.
"""

from __future__ import annotations

from typing import Any

from ._bytes import BOM, count_newlines
from ._decoder import Decoder
from ._errors import DecodeError, InvalidEvent
from ._kernel import framed_pairs

__all__ = ["DEFAULT", "bulk_values", "decode_value", "framed_values", "one_value"]

DEFAULT: Decoder[Any] = Decoder()


def bulk_values(values: list[bytes], decoder: Decoder[Any]) -> list[Any] | None:
    """One item per value, in order (an :class:`InvalidEvent` for a value that does not decode, located at
    ``offset=0`` of that value, ``raw`` the whole value), or ``None`` when the values cannot be decoded as one
    buffer (a value holding a newline, a blank value): then decode them one by one. A value may start with
    a UTF-8 BOM (then its event is at ``offset=3``)."""
    n = len(values)
    joined = b"\n".join(values)
    if count_newlines(joined, 0, len(joined)) != n - 1:
        return None
    out = decoder.decode_lines(joined, errors="replace")
    if len(out) != n:
        return None
    if InvalidEvent not in set(map(type, out)):  # (hashing types: a clean batch pays no Python loop)
        return out
    for i, ev in enumerate(out):
        if type(ev) is InvalidEvent:
            v = values[i]
            # A BOM fails its line (but the first one, taken for the buffer's): such a value is decoded alone,
            # so it decodes the same wherever it sits. Clean batches pay nothing for it.
            out[i] = one_value(v, decoder) if v.startswith(BOM) else ev.relocated(line=None, offset=0, raw=v)
    return out


def decode_value(value: bytes, decoder: Decoder[Any]) -> Any:
    """One value decoded (after a UTF-8 BOM, if it starts with one), as :func:`bulk_values` does it; a
    :class:`DecodeError` located at ``offset=0`` (3 after a BOM) when it does not decode."""
    if not value.startswith(BOM):
        try:
            return decoder.decode(value)
        except DecodeError as err:
            raise err.relocated(offset=0) from None
    try:
        return decoder.decode(value[3:])
    except DecodeError as err:
        raise err.relocated(offset=3) from None


def one_value(value: bytes, decoder: Decoder[Any]) -> Any:
    """One value decoded like :func:`decode_value`; an :class:`InvalidEvent` when it does not decode."""
    try:
        return decode_value(value, decoder)
    except DecodeError as err:
        err = err.relocated(raw=value)
        return InvalidEvent(err, value, line=err.line, offset=err.offset, index=err.index)


def framed_values(events: list[Any], values: list[bytes]) -> list[Any]:
    """Each value's event beside the value (what ``raw=True`` returns; a BOM before the JSON is no part of it)."""
    if BOM in b"".join(values):  # (one memcpy and one search in C; then the values that start with one)
        values = [v[3:] if v[:3] == BOM else v for v in values]
    return framed_pairs(events, values)
