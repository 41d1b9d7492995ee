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

import re
import types
import typing
from collections.abc import Callable
from typing import Any

import msgspec

from ._bytes import RAW_ARRAY
from ._errors import _PATH_RE, DecodeError, InvalidValue, UnknownValue

__all__ = ["decode_struct", "decode_value", "probe_tag"]

_Raw = msgspec.Raw
_NoneType = type(None)
_Errors = (msgspec.ValidationError, msgspec.DecodeError)
_MISSING: Any = None  # what the twin holds for an absent union-bearing field

ValueFn = Callable[[Any, str, "str | int", "str | None"], Any]
"""(raw, parent path, key, hint): the value's path is ``parent + key`` (``".name"``) or ``parent[key]`` (an
index), built only when something has to be reported; ``hint`` is where inside the value a strict decode
failed (then the strict attempt is skipped), or ``None``."""


def _join(parent: str, key: str | int) -> str:
    return f"{parent}[{key}]" if type(key) is int else parent + key  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue, reportUnknownVariableType]


class _TagProbe(msgspec.Struct):
    type: Any = msgspec.UNSET


_probe = msgspec.json.Decoder(_TagProbe)


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
    """Per class: the twin decoder and, for the few fields that may hold a Struct, how to finish them."""

    __slots__ = ("cls", "decode", "lenient")

    def __init__(self, cls: type[msgspec.Struct]) -> None:
        twin_fields: list[Any] = []
        rename: dict[str, str] = {}
        lenient: list[tuple[str, str, ValueFn, bool, Any]] = []
        for f in msgspec.structs.fields(cls):
            holds = _holds_struct(f.type)
            ftype = _Raw if holds else f.type
            if f.required:
                twin_fields.append((f.name, ftype))
            elif holds:
                twin_fields.append((f.name, ftype, _MISSING))
            elif f.default_factory is not msgspec.NODEFAULT:
                twin_fields.append((f.name, ftype, msgspec.field(default_factory=f.default_factory)))
            else:
                twin_fields.append((f.name, ftype, f.default))
            rename[f.name] = f.encode_name
            if holds:
                missing = f.default_factory if f.default_factory is not msgspec.NODEFAULT else (lambda d=f.default: d)
                lenient.append(
                    (f.name, "." + f.encode_name, _value_fn(f.type, keep=not f.required), f.required, missing)
                )
        # the twin has the same attribute names, so its asdict() is the keyword arguments of ``cls``
        twin = msgspec.defstruct(f"{cls.__name__}Lenient", twin_fields, kw_only=True, rename=rename)
        self.cls = cls
        self.decode = msgspec.json.Decoder(twin).decode
        self.lenient = tuple(lenient)


_plans: dict[type, _StructPlan] = {}


def decode_struct(
    raw: Any, cls: type[msgspec.Struct], path: str = "$", *, failed: Exception | None = None, _hint: str | None = None
) -> Any:
    """Decode ``raw`` as ``cls`` (any Struct class), keeping nested values of unknown tags as
    :class:`UnknownValue` and nested Struct values that fail validation as :class:`InvalidValue`.

    Raises :class:`DecodeError` (with ``path`` as the prefix of its JSON path) when a field of ``cls`` itself,
    or a required Struct field, is missing or wrong. ``failed``: the msgspec error of a strict decode of the
    same bytes, if the caller has one; its path leads straight to the failing value (the strict attempts of
    the values around it are skipped: they would fail again). It only saves time: any value works.
    """
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _StructPlan(cls)
    try:
        obj = plan.decode(raw)
    except _Errors as exc:
        raise DecodeError._from_msgspec(exc, path) from None
    hint = _hint_of(failed) if failed is not None else _hint
    kwargs = _asdict(obj)
    for name, key, fn, required, missing in plan.lenient:
        val = kwargs[name]
        if val is _MISSING and not required:
            kwargs[name] = missing()
        elif hint is not None and hint.startswith(key) and hint[len(key) : len(key) + 1] in ("", ".", "["):
            kwargs[name] = fn(val, path, key, hint[len(key) :])
        else:
            kwargs[name] = fn(val, path, key, None)
    return plan.cls(**kwargs)


def _hint_of(exc: Exception) -> str | None:
    """The path of a msgspec validation error relative to the decoded value (``.output[1].type``)."""
    m = _PATH_RE.search(str(exc))
    return m.group(1)[1:] if m else None


_INDEX = re.compile(r"\[(\d+)\]")


_asdict = msgspec.structs.asdict


_value_fns: dict[tuple[Any, bool], ValueFn] = {}


def decode_value(raw: Any, tp: Any, path: str, *, keep: bool = True) -> Any:
    """Decode one JSON value as ``tp``: strictly when it can, leniently where a nested value is in the way.
    ``keep``: a Struct-typed value that fails validation becomes an :class:`InvalidValue` (else it raises)."""
    return _value_fn(tp, keep)(raw, path, "", None)


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
    tagged = {a.__struct_config__.tag: a for a in members if _is_struct(a) and a.__struct_config__.tag is not None}
    plain = [a for a in members if _is_struct(a) and a.__struct_config__.tag is None]
    seqs = [a for a in members if typing.get_origin(a) in (tuple, list)]
    allows_none = args is not None and _NoneType in args

    def strict_error(raw: Any, path: str) -> Any:
        """The value where a hint skipped the strict attempt: decode it strictly now (``null``, say), or raise
        its error."""
        try:
            return strict(raw)
        except _Errors as exc:
            raise DecodeError._from_msgspec(exc, path) from None

    if tagged and len(tagged) == len(members):

        def finish(raw: Any, path: str, hint: str | None) -> Any:
            try:
                tag = probe_tag(raw, path)
            except DecodeError as err:
                if bytes(raw).strip() == b"null" and allows_none:  # a hint skipped the strict attempt
                    return None
                if keep:
                    return InvalidValue(_tag_or_none(raw), bytes(raw), err)
                raise
            cls = tagged.get(tag)
            if cls is None:
                return UnknownValue(tag, bytes(raw))
            if not keep:
                return decode_struct(raw, cls, path, _hint=hint)
            try:
                return decode_struct(raw, cls, path, _hint=hint)
            except DecodeError as err:
                return InvalidValue(tag, bytes(raw), err)

    elif len(plain) == 1 and len(members) == 1:
        (cls,) = plain

        def finish(raw: Any, path: str, hint: str | None) -> Any:
            try:
                return decode_struct(raw, cls, path, _hint=hint)
            except DecodeError as err:
                if bytes(raw).strip() == b"null" and allows_none:  # a hint skipped the strict attempt
                    return None
                if not keep:
                    raise
                return InvalidValue(_tag_or_none(raw), bytes(raw), err)

    elif len(seqs) == 1 and len(members) == 1:
        (seq,) = seqs
        item_fn = _value_fn(typing.get_args(seq)[0], True)
        as_tuple = typing.get_origin(seq) is tuple

        def finish(raw: Any, path: str, hint: str | None) -> Any:
            try:
                items = RAW_ARRAY.decode(raw)
            except _Errors:
                return strict_error(raw, path)
            at, sub = -1, None
            m = _INDEX.match(hint) if hint else None
            if m:
                at, sub = int(m.group(1)), m.string[m.end() :]  # (m.string is hint)
            out = [item_fn(it, path, i, sub if i == at else None) for i, it in enumerate(items)]
            return tuple(out) if as_tuple else out

    else:

        def finish(raw: Any, path: str, hint: str | None) -> Any:
            return strict_error(raw, path)

    def decode(raw: Any, parent: str, key: str | int, hint: str | None) -> Any:
        if hint is None:
            try:
                return strict(raw)
            except _Errors as exc:
                hint = _hint_of(exc)
        return finish(raw, _join(parent, key), hint)

    return decode
