"""The slow path: decode an event that the strict typed union rejected, without losing anything.

msgspec has no fallback member for tagged unions (an unknown tag fails the whole decode, msgspec issues
#649/#691), and one bad nested value fails the whole event. So only an event that fails is decoded again
here, with a "twin" of its class whose fields that can hold a Struct are ``msgspec.Raw``; each such value is
then decoded on its own, strictly first. In its slot:

* a value of an unknown tag becomes an :class:`UnknownValue`;
* a Struct-typed value (output item, part, annotation, source, usage, ...) that fails validation becomes an
  :class:`InvalidValue` (the innermost one: its own nested values were tried first), carrying the
  :class:`DecodeError` with the absolute JSON path.

A missing or wrong field directly on the class being decoded (the event itself, or a required field such as
the ``response`` of ``response.completed``, which the event means nothing without) still raises
:class:`DecodeError`. Clean events never reach this module.

Everything that depends only on a type (twin class, decoders, tag tables, defaults) is built once per type and
cached, so a failing event costs a few strict decodes and no setup.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

import msgspec

from ._errors import DecodeError, InvalidValue, UnknownValue

__all__ = ["decode_struct", "decode_value", "probe_tag"]

_Raw = msgspec.Raw
_NoneType = type(None)
_Errors = (msgspec.ValidationError, msgspec.DecodeError)
_MISSING: Any = None  # what the twin holds for an absent union-bearing field

ValueFn = Callable[[Any, str], Any]


class _TagProbe(msgspec.Struct):
    type: Any = msgspec.UNSET


_probe = msgspec.json.Decoder(_TagProbe)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])


def probe_tag(raw: Any, path: str = "$") -> str:
    """The ``type`` of a JSON object, or DecodeError when it is not an object with a string ``type``."""
    try:
        tag = _probe.decode(raw).type
    except _Errors as exc:
        raise DecodeError._from_msgspec(exc, path) from None
    if tag is msgspec.UNSET:
        raise DecodeError._from_msgspec(msgspec.ValidationError("Object missing required field `type`"), path)
    if not isinstance(tag, str):
        got = "null" if tag is None else type(tag).__name__
        raise DecodeError(f"Expected `str`, got `{got}` - at `{path}.type`", path=f"{path}.type")
    return tag


def _tag_or_none(raw: Any) -> str | None:
    try:
        tag = _probe.decode(raw).type
    except _Errors:
        return None
    return tag if isinstance(tag, str) else None


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return None


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _holds_struct(tp: Any) -> bool:
    """True when a value of type ``tp`` is or contains a Struct (where a nested value may be kept)."""
    args = _union_args(tp)
    if args is not None:
        return any(_holds_struct(a) for a in args)
    if typing.get_origin(tp) in (tuple, list):
        return any(_holds_struct(a) for a in typing.get_args(tp) if a is not Ellipsis)
    return _is_struct(tp)


class _StructPlan:
    """Per class: the twin decoder and, per field, how to finish its value."""

    __slots__ = ("cls", "decode", "fields")

    def __init__(self, cls: type[msgspec.Struct]) -> None:
        twin_fields: list[Any] = []
        rename: dict[str, str] = {}
        plan: list[tuple[str, str, ValueFn | None, bool, Any, Any]] = []
        for f in msgspec.structs.fields(cls):
            lenient = _holds_struct(f.type)
            ftype = _Raw if lenient else f.type
            if f.required:
                twin_fields.append((f.name, ftype))
            elif lenient:
                twin_fields.append((f.name, ftype, _MISSING))
            elif f.default_factory is not msgspec.NODEFAULT:
                twin_fields.append((f.name, ftype, msgspec.field(default_factory=f.default_factory)))
            else:
                twin_fields.append((f.name, ftype, f.default))
            rename[f.name] = f.encode_name
            fn = _value_fn(f.type, keep=not f.required) if lenient else None
            plan.append((f.name, f.encode_name, fn, f.required, f.default, f.default_factory))
        twin = msgspec.defstruct(f"{cls.__name__}Lenient", twin_fields, kw_only=True, rename=rename)
        self.cls = cls
        self.decode = msgspec.json.Decoder(twin).decode
        self.fields = tuple(plan)


_plans: dict[type, _StructPlan] = {}


def decode_struct(raw: Any, cls: type[msgspec.Struct], path: str = "$") -> Any:
    """Decode ``raw`` as ``cls`` (any Struct class), keeping nested values of unknown tags as
    :class:`UnknownValue` and nested Struct values that fail validation as :class:`InvalidValue`.

    Raises :class:`DecodeError` (with ``path`` as the prefix of its JSON path) when a field of ``cls`` itself,
    or a required Struct field, is missing or wrong.
    """
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _StructPlan(cls)
    try:
        obj = plan.decode(raw)
    except _Errors as exc:
        raise DecodeError._from_msgspec(exc, path) from None
    kwargs = {}
    for name, wire, fn, required, default, factory in plan.fields:
        val = getattr(obj, name)
        if fn is not None:
            if val is _MISSING and not required:
                val = factory() if factory is not msgspec.NODEFAULT else default
            else:
                val = fn(val, f"{path}.{wire}")
        kwargs[name] = val
    return plan.cls(**kwargs)


_value_fns: dict[tuple[Any, bool], ValueFn] = {}


def decode_value(raw: Any, tp: Any, path: str, *, keep: bool = True) -> Any:
    """Decode one JSON value as ``tp``: strictly when it can, leniently where a nested value is in the way.
    ``keep``: a Struct-typed value that fails validation becomes an :class:`InvalidValue` (else it raises)."""
    return _value_fn(tp, keep)(raw, path)


def _value_fn(tp: Any, keep: bool) -> ValueFn:
    key = (tp, keep)
    fn = _value_fns.get(key)
    if fn is None:
        fn = _value_fns[key] = _build_value_fn(tp, keep)
    return fn


def _build_value_fn(tp: Any, keep: bool) -> ValueFn:
    strict = msgspec.json.Decoder(tp).decode
    args = _union_args(tp)
    members = [a for a in args if a is not _NoneType] if args is not None else [tp]
    allows_none = args is not None and _NoneType in args
    tagged = {a.__struct_config__.tag: a for a in members if _is_struct(a) and a.__struct_config__.tag is not None}
    plain = [a for a in members if _is_struct(a) and a.__struct_config__.tag is None]
    seqs = [a for a in members if typing.get_origin(a) in (tuple, list)]

    if tagged and len(tagged) == len(members):

        def finish(raw: Any, path: str, first: Exception) -> Any:
            try:
                tag = probe_tag(raw, path)
            except DecodeError as err:
                if keep:
                    return InvalidValue(_tag_or_none(raw), bytes(raw), err)
                raise
            cls = tagged.get(tag)
            if cls is None:
                return UnknownValue(tag, bytes(raw))
            if not keep:
                return decode_struct(raw, cls, path)
            try:
                return decode_struct(raw, cls, path)
            except DecodeError as err:
                return InvalidValue(tag, bytes(raw), err)

    elif len(plain) == 1 and len(members) == 1:
        (cls,) = plain

        def finish(raw: Any, path: str, first: Exception) -> Any:
            if not keep:
                return decode_struct(raw, cls, path)
            try:
                return decode_struct(raw, cls, path)
            except DecodeError as err:
                return InvalidValue(_tag_or_none(raw), bytes(raw), err)

    elif len(seqs) == 1 and len(members) == 1:
        (seq,) = seqs
        item_args = typing.get_args(seq)
        item_fn = _value_fn(item_args[0], True)
        as_tuple = typing.get_origin(seq) is tuple

        def finish(raw: Any, path: str, first: Exception) -> Any:
            try:
                items = _raw_list.decode(raw)
            except _Errors:
                raise DecodeError._from_msgspec(first, path) from None
            out = [item_fn(it, f"{path}[{i}]") for i, it in enumerate(items)]
            return tuple(out) if as_tuple else out

    else:

        def finish(raw: Any, path: str, first: Exception) -> Any:
            raise DecodeError._from_msgspec(first, path) from None

    def decode(raw: Any, path: str) -> Any:
        try:
            return strict(raw)
        except _Errors as exc:
            first = exc
        if allows_none and bytes(raw).strip() == b"null":  # pragma: no cover - strict accepts null already
            return None
        return finish(raw, path, first)

    return decode
