"""Decoding a batch of message values (Kafka records, Redis stream entries) in one call.

Each value holds one event. Joined by newlines, the values are an NDJSON buffer, and ``decode_lines`` decodes
it in one msgspec call when it can (its own counting proof). What makes the answer one item per *value*: the
joined buffer has exactly ``n - 1`` newlines (so no value holds a newline: each value is one line) and the
result has ``n`` items (``decode_lines`` skips blank lines, so no value was blank).
"""

from __future__ import annotations

from typing import Any

from ._decoder import _DEFAULT, Decoder
from ._errors import DecodeError, InvalidEvent

DEFAULT: Decoder[Any] = _DEFAULT


def bulk_values(values: list[bytes], decoder: Decoder[Any]) -> list[Any] | None:
    """One item per value, in order (an :class:`InvalidEvent` for a value that does not decode, located at
    ``offset=0`` of that value, ``raw`` the whole value), or ``None`` when the values cannot be decoded as one
    buffer (a value holding a newline, a blank value): then decode them one by one."""
    n = len(values)
    joined = b"\n".join(values)
    if len(joined) - len(joined.replace(b"\n", b"")) != n - 1:  # (faster than bytes.count for one byte)
        return None
    out = decoder.decode_lines(joined, errors="replace")
    if len(out) != n:
        return None
    for i, ev in enumerate(out):
        if type(ev) is InvalidEvent:
            out[i] = InvalidEvent(ev.error._located(line=None, offset=0, raw=values[i]), values[i], offset=0)
    return out


def one_value(value: bytes, decoder: Decoder[Any]) -> Any:
    """One value decoded; an :class:`InvalidEvent` (``offset=0``) when it does not decode."""
    try:
        return decoder.decode(value)
    except DecodeError as err:
        return InvalidEvent(err._located(offset=0, raw=value), value, offset=0)
