"""The slow path: decode an event that the strict typed union rejected, without losing anything.

msgspec has no fallback member for tagged unions (an unknown tag fails the whole decode, msgspec issues
#649/#691). So only an event that fails is decoded again here, with a "twin" of its class whose fields that
can hold tagged unions are ``msgspec.Raw``; each such value is then decoded on its own, and a value of an
unknown tag becomes an :class:`UnknownValue` in place. A real error (a wrong type, a missing field) is
reproduced here with its full JSON path. Clean events never reach this module.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any

import msgspec

from ._errors import DecodeError, UnknownValue

__all__ = ["decode_struct", "decode_value", "probe_tag"]

_Raw = msgspec.Raw
_NoneType = type(None)


class _TagProbe(msgspec.Struct):
    type: Any = msgspec.UNSET


_probe = msgspec.json.Decoder(_TagProbe)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])


def probe_tag(raw: Any, path: str = "$") -> str:
    """The ``type`` of a JSON object, or DecodeError when it is not an object with a string ``type``."""
    try:
        tag = _probe.decode(raw).type
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise DecodeError._from_msgspec(exc, path) from None
    if tag is msgspec.UNSET:
        raise DecodeError._from_msgspec(msgspec.ValidationError("Object missing required field `type`"), path)
    if not isinstance(tag, str):
        got = "null" if tag is None else type(tag).__name__
        raise DecodeError(f"Expected `str`, got `{got}` - at `{path}.type`", path=f"{path}.type")
    return tag


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return None


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _needs_leniency(tp: Any, seen: frozenset[Any] = frozenset()) -> bool:
    """True when a value of type ``tp`` can contain a tagged union (where an unknown tag may appear)."""
    args = _union_args(tp)
    if args is not None:
        if any(_is_struct(a) and a.__struct_config__.tag is not None for a in args):
            return True
        return any(_needs_leniency(a, seen) for a in args)
    if typing.get_origin(tp) in (tuple, list):
        return any(_needs_leniency(a, seen) for a in typing.get_args(tp) if a is not Ellipsis)
    if _is_struct(tp):
        if tp in seen:
            return False
        return any(_needs_leniency(f.type, seen | {tp}) for f in msgspec.structs.fields(tp))
    return False


@cache
def _strict(tp: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(tp)


@cache
def _twin(cls: type[msgspec.Struct]) -> tuple[msgspec.json.Decoder[Any], tuple[tuple[str, str, Any, bool], ...]]:
    """A decoder for an untagged copy of ``cls`` whose union-bearing fields are ``msgspec.Raw``."""
    fields: list[Any] = []
    rename: dict[str, str] = {}
    plan = []
    for f in msgspec.structs.fields(cls):
        lenient = _needs_leniency(f.type)
        ftype = _Raw if lenient else f.type
        if f.required:
            fields.append((f.name, ftype))
        elif lenient:
            fields.append((f.name, ftype, None))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, ftype, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, ftype, f.default))
        rename[f.name] = f.encode_name
        plan.append((f.name, f.encode_name, f.type, lenient))
    twin = msgspec.defstruct(f"{cls.__name__}Lenient", fields, kw_only=True, rename=rename)
    return msgspec.json.Decoder(twin), tuple(plan)


def _missing_default(cls: type[msgspec.Struct], name: str) -> Any:
    for f in msgspec.structs.fields(cls):
        if f.name == name:
            return f.default_factory() if f.default_factory is not msgspec.NODEFAULT else f.default
    raise KeyError(name)  # pragma: no cover - names come from the same class


def decode_struct(raw: Any, cls: type[msgspec.Struct], path: str = "$") -> Any:
    """Decode ``raw`` as ``cls``, keeping nested values of unknown tags as :class:`UnknownValue`."""
    dec, plan = _twin(cls)
    try:
        obj = dec.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise DecodeError._from_msgspec(exc, path) from None
    kwargs = {}
    for name, wire, tp, lenient in plan:
        val = getattr(obj, name)
        if lenient:
            val = _missing_default(cls, name) if val is None else decode_value(val, tp, f"{path}.{wire}")
        kwargs[name] = val
    return cls(**kwargs)


def decode_value(raw: Any, tp: Any, path: str) -> Any:
    """Decode one JSON value as ``tp``: strictly when it can, leniently where an unknown tag is in the way."""
    try:
        return _strict(tp).decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        first = exc
    args = _union_args(tp)
    if args is not None:
        if bytes(raw).strip() == b"null" and _NoneType in args:
            return None
        members = [a for a in args if a is not _NoneType]
        tagged = {a.__struct_config__.tag: a for a in members if _is_struct(a) and a.__struct_config__.tag}
        if tagged and len(tagged) == len(members):
            tag = probe_tag(raw, path)
            if tag not in tagged:
                return UnknownValue(tag, bytes(raw))
            return decode_struct(raw, tagged[tag], path)
        if len(members) == 1:
            return decode_value(raw, members[0], path)
    elif typing.get_origin(tp) in (tuple, list):
        (item_tp, *_) = typing.get_args(tp)
        try:
            items = _raw_list.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            raise DecodeError._from_msgspec(first, path) from None
        out = [decode_value(it, item_tp, f"{path}[{i}]") for i, it in enumerate(items)]
        return tuple(out) if typing.get_origin(tp) is tuple else out
    elif _is_struct(tp):
        return decode_struct(raw, tp, path)
    raise DecodeError._from_msgspec(first, path) from None
