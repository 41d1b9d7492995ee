"""Projections (slim views, cheap placeholders for skipped tags) and camelCase twins of the model.

A projection decodes only what a worker reads: msgspec skips the bytes of every field a class does not
declare without building anything, so a union in which every tag but a few is an empty Struct costs about
half the full model on the text corpus. Validation follows: a projection checks only what it declares.
"""

from __future__ import annotations

import threading
import typing
from typing import Any, ClassVar

import msgspec

from ._lenient import _is_struct, _union_args

__all__ = ["Skipped", "View", "camel_twin", "skipped_class"]


class _Tag:
    """``cls.type``: the class's msgspec tag, stored on the class at first use (msgspec sets the tag after
    ``__init_subclass__`` has run, so it cannot be copied there)."""

    def __get__(self, obj: object, cls: type[Any]) -> str:
        tag = cls.__struct_config__.tag
        if not isinstance(tag, str):
            raise AttributeError("type: this View subclass declares no tag='...'")
        cls.type = tag
        return tag


class View(msgspec.Struct, frozen=True, gc=False, kw_only=True, tag_field="type"):
    """Base class of a projection: subclass it with ``tag="<event type>"`` and declare only the fields a
    worker reads (nested plain ``msgspec.Struct`` classes with fewer fields, ``msgspec.Raw`` for a payload
    kept as undecoded bytes). ``.type`` is the tag. A view cannot be encoded: it is not the whole event.

    >>> class Delta(View, tag="response.output_text.delta"):
    ...     delta: str
    """

    type: ClassVar[str] = _Tag()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]


class Skipped(msgspec.Struct, frozen=True, gc=False, tag_field="type"):
    """What a projection returns for a known event it does not select: nothing decoded but its ``.type``,
    kept in its position so counts, indexes and error lines still match the input. Cannot be encoded."""

    type: ClassVar[str]

    def __repr__(self) -> str:
        return f"Skipped(type={self.type!r})"


_lock = threading.Lock()
_skipped: dict[str, type[Skipped]] = {}


def skipped_class(tag: str) -> type[Skipped]:
    """The empty ``Skipped`` subclass for ``tag`` (one per tag, shared by every decoder)."""
    cls = _skipped.get(tag)
    if cls is None:
        with _lock:
            cls = _skipped.get(tag)
            if cls is None:
                new: Any = msgspec.defstruct("Skipped", [], bases=(Skipped,), tag=tag, module=__name__)
                new.type = tag
                _skipped[tag] = cls = new
    return cls


# -- camelCase twins -----------------------------------------------------------------------------------------

_twins: dict[type[msgspec.Struct], type[msgspec.Struct]] = {}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


_GENERIC_ORIGINS: tuple[Any, ...] = (tuple, list, dict, frozenset, set)


def _map_type(tp: Any) -> Any:
    """``tp`` with every Struct class in it replaced by its camel twin."""
    if _is_struct(tp):
        return _camel_twin(tp)
    args = _union_args(tp)
    if args is not None:
        return typing.Union[tuple(_map_type(a) for a in args)]  # noqa: UP007 - built at run time
    origin = typing.get_origin(tp)
    if origin in _GENERIC_ORIGINS:  # (a tuple typed Any: `in` a literal tuple would narrow origin to its classes)
        args = typing.get_args(tp)
        mapped = tuple(a if a is Ellipsis else _map_type(a) for a in args)
        if mapped != args:
            # pyright narrows by len() to tuple[()] | tuple[Any], then finds no item 0 in the first
            return origin[mapped if len(mapped) > 1 else mapped[0]]  # pyright: ignore[reportGeneralTypeIssues]
    return tp


def _camel_twin(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
    twin = _twins.get(cls)
    if twin is not None:
        return twin
    fields: list[Any] = []
    rename: dict[str, str] = {}
    for f in msgspec.structs.fields(cls):
        ftype = _map_type(f.type)
        if f.required:
            fields.append((f.name, ftype))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, ftype, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, ftype, f.default))
        rename[f.name] = _camel(f.encode_name)
    config = cls.__struct_config__
    twin = msgspec.defstruct(
        cls.__name__,
        fields,
        bases=(cls,),
        kw_only=True,
        rename=rename,
        tag=config.tag,
        tag_field=config.tag_field,
        module=__name__,
    )
    if config.tag is not None:
        twin.type = config.tag  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    twin.__qualname__ = f"{cls.__qualname__}"
    _twins[cls] = twin
    return twin


def camel_twin(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """A subclass of ``cls`` (so ``isinstance`` holds) that reads and writes camelCase field names, its
    nested Structs camel twins too; built on first use and shared."""
    with _lock:
        return _camel_twin(cls)
