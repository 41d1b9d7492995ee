"""Walk the pinned SDKs' event unions beside the model, written independently of tools/generate_models.py: the
SDKs' pydantic classes on one side (wire names from their aliases), the model's msgspec types on the other
(``msgspec.inspect``), in step, by tag inside tagged unions. Used by tests/test_sdk_drift.py (what the model
lacks) and tests/test_spec_conformance.py (the fields the model has because an SDK defines them)."""

from __future__ import annotations

import importlib
import importlib.metadata
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from msgspec import inspect as mi

import openresponses_msgspec as orm

# The same pins as the ``test`` extra in pyproject.toml and SDK_PINS in tools/generate_models.py.
PINS = {"openai": "3.51.0", "openrouter": "1.3.84"}
# Every server-event union the SDKs define for a Responses stream: SSE and WebSocket, GA and beta.
ROOTS = [
    "openai.types.responses:ResponseStreamEvent",
    "openai.types.responses:ResponsesServerEvent",
    "openai.types.beta:BetaResponseStreamEvent",
    "openai.types.beta:BetaResponsesServerEvent",
    "openrouter.components:StreamEvents",
]


def installed() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for dist in PINS:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


def roots() -> list[Any]:
    out = []
    for root in ROOTS:
        mod, _, attr = root.partition(":")
        out.append(getattr(importlib.import_module(mod), attr))
    return out


# ---- the SDK side: a pydantic annotation as one of a few shapes ------------------------------------------------


def _is_alias(tp: Any) -> bool:
    return type(tp).__name__ == "TypeAliasType"  # typing's (3.12+) or typing_extensions'


def _strip(tp: Any) -> Any:
    """Through Annotated and type aliases, generic ones too (OpenRouter's ``Nullable[T]``/``OptionalNullable[T]``
    are ``TypeAliasType``s with a parameter: ``Nullable[str]`` is ``str | None``)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif _is_alias(tp):
            tp = tp.__value__
        elif origin is not None and _is_alias(origin):
            params, args = origin.__type_params__, typing.get_args(tp)
            tp = origin.__value__[args] if params else origin.__value__
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "model_fields")


def _is_unknown(tp: Any) -> bool:
    """OpenRouter's catch-all ``Unknown*`` members and its UNSET sentinel: no wire shapes."""
    return (_is_model(tp) and "is_unknown" in tp.model_fields) or getattr(tp, "__name__", "") == "Unset"


def sdk_alternatives(tp: Any) -> list[Any]:
    """The non-null alternatives of an annotation (unions flattened)."""
    tp = _strip(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        out = []
        for a in typing.get_args(tp):
            out += sdk_alternatives(a)
        return out
    if tp is type(None) or _is_unknown(tp):
        return []
    return [tp]


def _allows_none(tp: Any) -> bool:
    tp = _strip(tp)
    if tp is type(None) or tp is Any:
        return True
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and any(
        _allows_none(a) for a in typing.get_args(tp)
    )


def sdk_tag(cls: Any) -> str | None:
    f = cls.model_fields.get("type")
    if f is None:
        return None
    t = _strip(f.annotation)
    alts = sdk_alternatives(t)
    if len(alts) == 1 and typing.get_origin(alts[0]) is typing.Literal and len(typing.get_args(alts[0])) == 1:
        v = typing.get_args(alts[0])[0]
        return v if isinstance(v, str) else None
    return None


def sdk_fields(cls: Any) -> dict[str, Any]:
    """wire name -> annotation."""
    return {(f.alias or n): f.annotation for n, f in cls.model_fields.items()}


def _array_item(tp: Any) -> Any | None:
    origin = typing.get_origin(tp)
    if origin in (list, tuple, set, frozenset) or (
        origin is not None and getattr(origin, "__name__", "") in ("List", "Sequence", "Tuple")
    ):
        args = typing.get_args(tp)
        return args[0] if args else Any
    import collections.abc

    if origin in (collections.abc.Sequence, collections.abc.Iterable):
        return typing.get_args(tp)[0]
    return None


# ---- the model side --------------------------------------------------------------------------------------------


def _model_alternatives(t: mi.Type) -> list[mi.Type]:
    if isinstance(t, mi.UnionType):
        return [x for x in t.types if not isinstance(x, mi.NoneType)]
    return [t]


def _keeps_anything(t: mi.Type) -> bool:
    return any(isinstance(x, (mi.AnyType, mi.DictType)) for x in _model_alternatives(t))


# ---- the walk ---------------------------------------------------------------------------------------------------


@dataclass
class Walk:
    """What the SDKs define that the model does not keep (``missing``: line -> one SDK class that defines it),
    and, per model class, the wire fields some SDK defines on it (``defined``), per registry the tags."""

    missing: dict[str, str] = field(default_factory=dict)
    defined: dict[type, set[str]] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)  # every (event) tag the SDKs define
    member_tags: dict[str, set[str]] = field(default_factory=dict)  # family -> tags the SDKs put there
    optional: dict[type, set[str]] = field(default_factory=dict)  # model class -> fields some SDK lets be absent/null
    _seen: set[tuple[int, int, str]] = field(default_factory=set)

    def report(self, tag: str, path: str, variant: str | None, what: str, source: Any) -> None:
        line = f"{tag} {path}" + (f" ({variant})" if variant else "") + (f": {what}" if what else "")
        self.missing.setdefault(line, f"{source.__module__}.{source.__qualname__}")

    def struct(self, cls: Any, st: mi.StructType, tag: str, path: str, variant: str | None) -> None:
        key = (id(cls), id(st.cls), path)
        if key in self._seen:
            return
        self._seen.add(key)
        fields = {f.encode_name: f for f in st.fields}
        mine = self.defined.setdefault(st.cls, set())
        loose = self.optional.setdefault(st.cls, set())
        for n, info in cls.model_fields.items():
            if not info.is_required() or _allows_none(info.annotation):
                loose.add(info.alias or n)
        for wire, ann in sdk_fields(cls).items():
            if wire == "type" and st.cls.__struct_config__.tag_field == "type":
                continue
            mine.add(wire)
            f = fields.get(wire)
            if f is None:
                self.report(tag, f"{path}.{wire}", variant, "", cls)
                continue
            self.value(ann, f.type, tag, f"{path}.{wire}", None, cls)

    def value(self, ann: Any, t: mi.Type, tag: str, path: str, variant: str | None, owner: Any) -> None:
        if _keeps_anything(t):
            return  # a plain JSON value: everything below is kept
        alts = sdk_alternatives(ann)
        models = [a for a in alts if _is_model(a)]
        arrays = [a for a in alts if _array_item(a) is not None]
        mine = _model_alternatives(t)
        m_structs = [x for x in mine if isinstance(x, mi.StructType)]
        m_arrays = [x for x in mine if isinstance(x, (mi.VarTupleType, mi.ListType, mi.TupleType))]
        for a in arrays:
            if not m_arrays:
                self.report(tag, path, variant, "an array, typed otherwise", owner)
                continue
            item = m_arrays[0].item_type if hasattr(m_arrays[0], "item_type") else mi.AnyType()
            self.value(_array_item(a), item, tag, path + "[]", variant, owner)
        if not models:
            return
        if not m_structs:
            self.report(tag, path, variant, "an object, typed otherwise", owner)
            return
        tagged = {x.cls.__struct_config__.tag: x for x in m_structs if x.cls.__struct_config__.tag is not None}
        for cls in models:
            stag = sdk_tag(cls)
            if tagged and stag is not None:
                family = _family_of(next(iter(tagged.values())).cls)
                self.member_tags.setdefault(family, set()).add(stag)
                target = tagged.get(stag)
                if target is None:
                    self.report(tag, path, stag, "tag", cls)
                    continue
                self.struct(cls, target, tag, path, stag)
            elif len(m_structs) == 1 and not tagged:
                self.struct(cls, m_structs[0], tag, path, variant)
            else:
                self.report(tag, path, variant, f"{cls.__name__}: no matching class", owner)


def _family_of(cls: type) -> str:
    for name, reg in orm.FAMILIES.items():
        if cls in reg.values():
            return name
    return "?"


def walk(events: dict[str, type] | None = None) -> Walk:
    """Every event of every root union, against ``events`` (default EVENT_TYPES)."""
    events = orm.EVENT_TYPES if events is None else events
    w = Walk()
    for root in roots():
        for cls in sdk_alternatives(root):
            tag = sdk_tag(cls)
            assert tag, cls
            w.tags.add(tag)
            model = events.get(tag)
            if model is None:
                w.report(tag, "$", None, "event", cls)
                continue
            w.struct(cls, mi.type_info(model), tag, "$", None)  # type: ignore[arg-type]
    return w
