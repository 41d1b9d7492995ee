"""Shared Struct options for every generated type.

Measured on the reference text corpus (200k events): ``gc=False`` and tuples for arrays make a batch decode
several times faster than default Structs, because the garbage collector otherwise rescans every decoded
object as the batch grows. Decoded events never form reference cycles, so untracked instances are safe.
``frozen=True`` makes events immutable (and hashable when their fields are); msgspec inherits it, but every
generated class also states it (and ``kw_only=True``, which msgspec does not inherit) so that type checkers
see it. ``omit_defaults=True`` keeps ``encode`` output close to the wire: absent optional fields stay absent.
Each tagged class declares its tag inline, ``type: ClassVar[Literal["..."]] = "..."``, beside ``tag="..."``.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

__all__ = ["_Event", "_Struct", "_Tagged"]


class _Struct(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """A nested object of an event (response object, usage, logprob, ...)."""


class _Tagged(_Struct, frozen=True, tag_field="type"):
    """A member of a tagged union; ``.type`` returns its wire tag (msgspec keeps the tag out of the fields)."""

    type: ClassVar[str]


class _Event(_Tagged, frozen=True):
    """A Responses stream event."""
