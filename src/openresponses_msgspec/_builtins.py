"""``to_builtins``: any value the decoders return, as plain JSON values (dict, list, str, int, float, bool, None)."""

from __future__ import annotations

import math
from typing import Any, TypeAlias

import msgspec

from ._errors import InvalidEvent, InvalidValue, UnknownEvent, UnknownValue

__all__ = ["to_builtins"]

#: A plain JSON value as ``to_builtins`` returns it. Annotating a local with it (``d: JSONValue =
#: to_builtins(x)``, ``v: JSONValue = d.get("k")``) lets ``isinstance(v, dict)`` narrow to ``dict[str, Any]``
#: in both checkers, where narrowing an ``Any`` would leave pyright a ``dict[Unknown, Unknown]``.
JSONValue: TypeAlias = dict[str, Any] | list[Any] | str | int | float | bool | None


def _invalid(ev: InvalidEvent) -> dict[str, Any]:
    return {
        "type": None,
        "error": str(ev.error),
        "line": ev.line,
        "offset": ev.offset,
        "index": ev.index,
        "raw": bytes(ev.raw).decode("utf-8", "replace"),
    }


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, (UnknownEvent, UnknownValue)):
        return msgspec.Raw(obj.raw)  # written back byte for byte, then decoded with everything else
    if isinstance(obj, InvalidEvent):
        return _invalid(obj)
    if isinstance(obj, InvalidValue):
        return _invalid_value(obj)
    raise TypeError(f"to_builtins: cannot convert {type(obj).__name__}")


def _invalid_value(obj: InvalidValue) -> dict[str, Any]:
    """A nested value that failed validation, kept in place: its tag, its error and its JSON as received."""
    try:
        value = _lenient_json(obj.raw)
    except msgspec.DecodeError:
        value = bytes(obj.raw).decode("utf-8", "replace")
    return {"invalid": True, "type": obj.type, "error": str(obj.error), "value": value}


def _float(s: str) -> float | str:
    v = float(s)
    return v if math.isfinite(v) else s  # beyond float range (1e400): the number as written, a string


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)
_decoder = msgspec.json.Decoder()
_wide = msgspec.json.Decoder(float_hook=_float)


def _lenient_json(buf: Any) -> Any:
    """JSON as plain values; a number beyond float range (``1e400``) becomes the string of its digits instead
    of failing the whole value (integers of any size are Python ints already)."""
    try:
        return _decoder.decode(buf)
    except msgspec.ValidationError:  # "Number out of range": decoded again with the hook (slower, rare)
        return _wide.decode(buf)


def to_builtins(value: object) -> Any:
    """Plain JSON values for any decoded value, or a list/tuple/dict of them (nested values included).

    - a typed event or nested Struct: a ``dict`` of its wire names, ``"type"`` first for tagged values;
      absent optional fields are left out, arrays are lists;
    - :class:`UnknownEvent` and :class:`UnknownValue`: their JSON exactly as received, decoded (a ``dict``);
    - :class:`InvalidEvent`: ``{"type": None, "error": str, "line": int|None, "offset": int|None,
      "index": int|None, "raw": str}`` (``raw`` decoded as UTF-8 with replacement characters);
    - :class:`InvalidValue` (a nested value that did not fit the model): ``{"invalid": True, "type": its tag
      or None, "error": str, "value": its JSON as received}``;
    - a projection (``View``) or ``Skipped``: a ``dict`` of its fields, ``"type"`` first (``Skipped``: the
      type alone);
    - ``msgspec.Raw``: its JSON, decoded;
    - anything JSON already holds (``dict``, ``list``, ``str``, numbers, ``None``) unchanged.
    """
    if isinstance(value, InvalidEvent):
        return _invalid(value)
    if isinstance(value, (UnknownEvent, UnknownValue)):
        return _lenient_json(value.raw)
    if isinstance(value, InvalidValue):
        return _invalid_value(value)
    return _lenient_json(_encoder.encode(value))
