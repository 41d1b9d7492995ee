"""Error types and the values that stand in for events the typed model cannot hold."""

from __future__ import annotations

import enum
import re
from typing import Any, NoReturn

import msgspec

from ._bytes import BYTE_POS

__all__ = [
    "DecodeError",
    "InvalidEvent",
    "InvalidValue",
    "MissingExtraError",
    "UnknownEvent",
    "UnknownValue",
    "kept_raw",
]

_PATH_RE = re.compile(r" - at `(\$[^`]*)`$")


class _Keep(enum.Enum):
    KEEP = enum.auto()


KEEP = _Keep.KEEP
"""What :meth:`DecodeError.relocated` and :meth:`InvalidEvent.relocated` take for "keep this coordinate"."""


class DecodeError(ValueError):
    """An event could not be decoded.

    ``path`` is the JSON path of the offending value (``$.output_index``) or ``None`` for malformed JSON;
    ``pos`` the byte position of a JSON syntax error inside the event; ``line`` (1-based physical line),
    ``offset`` (byte offset of the event in the input), ``index`` (position in a JSON array or among SSE
    events) and ``raw`` (the event's bytes) are set by the batch decoders where they apply.
    """

    def __init__(
        self,
        msg: str,
        *,
        path: str | None = None,
        pos: int | None = None,
        line: int | None = None,
        offset: int | None = None,
        index: int | None = None,
        raw: bytes | None = None,
    ) -> None:
        self.msg = msg
        self.path = path
        self.pos = pos
        self.line = line
        self.offset = offset
        self.index = index
        self.raw = raw
        super().__init__(self._render())

    def _render(self) -> str:
        where: list[str] = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.index is not None:
            where.append(f"index {self.index}")
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return f"{', '.join(where)}: {self.msg}" if where else self.msg

    @classmethod
    def _from_msgspec(cls, exc: Exception, prefix: str = "$", **kw: Any) -> DecodeError:
        msg = str(exc)
        path = None
        m = _PATH_RE.search(msg)
        if m:
            path = prefix + m.group(1)[1:]
            msg = msg[: m.start()] + f" - at `{path}`"
        elif type(exc).__name__ == "ValidationError":
            path = prefix
            if prefix != "$":
                msg = f"{msg} - at `{path}`"
        pos = None
        p = BYTE_POS.search(msg)
        if p:
            pos = int(p.group(1))
            if "trailing characters" in msg:  # msgspec reports one past the first trailing byte
                pos -= 1
                msg = msg[: p.start()] + f"(byte {pos})"
        return cls(msg, path=path, pos=pos, **kw)

    def relocated(
        self,
        *,
        line: int | None | _Keep = KEEP,
        offset: int | None | _Keep = KEEP,
        index: int | None | _Keep = KEEP,
        raw: bytes | None | _Keep = KEEP,
    ) -> DecodeError:
        """A copy of this error at other coordinates: each one given replaces this error's (``None`` clears
        it), the others are kept. How a framer or an integration places an error in its input (a file, a
        message): see also :meth:`shifted`."""
        return DecodeError(
            self.msg,
            path=self.path,
            pos=self.pos,
            line=self.line if line is KEEP else line,
            offset=self.offset if offset is KEEP else offset,
            index=self.index if index is KEEP else index,
            raw=self.raw if raw is KEEP else raw,
        )

    def shifted(self, line: int = 0, offset: int = 0, index: int = 0) -> DecodeError:
        """A copy of this error with the coordinates it has moved by these amounts (from a block of the input,
        where they were counted, to the whole input); a coordinate it does not have stays ``None``."""
        return DecodeError(
            self.msg,
            path=self.path,
            pos=self.pos,
            line=None if self.line is None else self.line + line,
            offset=None if self.offset is None else self.offset + offset,
            index=None if self.index is None else self.index + index,
            raw=self.raw,
        )


def _detached(error: DecodeError) -> DecodeError:
    """``error`` without its traceback, context and cause, so that a value holding it holds no frames.

    Events are ``gc=False`` Structs: the collector never traverses them, so a cycle through one is never
    freed. An error caught in the slow path carries a traceback whose frames (and their callers', up to the
    batch's result list) reach the event being built: kept as is, every event holding it would leak with its
    whole batch. Nothing but frames and chained exceptions leads from an error back to an event.
    """
    error.__traceback__ = None
    error.__context__ = None
    error.__cause__ = None
    return error


class _Unknown:
    __slots__ = ("type", "raw")

    def __init__(self, type: str, raw: bytes) -> None:
        self.type = type
        self.raw = raw

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.type == other.type and self.raw == other.raw

    def __hash__(self) -> int:
        return hash((type(self), self.type, self.raw))

    def __repr__(self) -> str:
        raw = self.raw if len(self.raw) <= 80 else self.raw[:77] + b"..."
        return f"{type(self).__name__}(type={self.type!r}, raw={raw!r})"


class UnknownEvent(_Unknown):
    """An event whose ``type`` no known variant has (a new or keep-alive event); ``raw`` is its exact JSON."""

    __slots__ = ()


class UnknownValue(_Unknown):
    """A nested tagged value (output item, content part, ...) of an unknown ``type``, kept in place.

    ``raw`` holds its exact JSON bytes, and :func:`encode` writes them back unchanged.
    """

    __slots__ = ()


class InvalidValue:
    """A nested value (output item, content part, annotation, source, usage, ...) that failed validation,
    kept in its slot so that the event around it stays typed.

    ``type`` is its ``type`` tag when it has a string one (else ``None``); ``raw`` its exact JSON bytes, which
    :func:`encode` writes back unchanged; ``error`` the :class:`DecodeError` that explains it, with the
    absolute JSON path (``$.response.output[2].content[0].text``), detached (no traceback or context, so that
    an event holding it reaches no frame: events are ``gc=False``, see docs/errors.md, "Limits").
    """

    __slots__ = ("type", "raw", "error")

    def __init__(self, type: str | None, raw: bytes, error: DecodeError) -> None:
        self.type = type
        self.raw = raw
        self.error = _detached(error)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InvalidValue):
            return NotImplemented
        return (self.type, self.raw, self.error.path, self.error.msg) == (
            other.type,
            other.raw,
            other.error.path,
            other.error.msg,
        )

    def __hash__(self) -> int:
        return hash((InvalidValue, self.type, self.raw))

    def __repr__(self) -> str:
        raw = self.raw if len(self.raw) <= 80 else self.raw[:77] + b"..."
        return f"InvalidValue(type={self.type!r}, raw={raw!r}, error={self.error.msg!r})"

    def __getattr__(self, name: str) -> NoReturn:
        """Reading a field of the value this one stands in for raises an ``AttributeError`` that says the value
        was invalid, where and why. Typed ``NoReturn``, so a field read on a slot typed ``Usage | InvalidValue``
        has the field's type (``int``), honestly: the read never returns a wrong value, it raises."""
        if name.startswith("__") or name in ("type", "raw", "error"):
            raise AttributeError(name)  # protocol look-ups (copy, pickle), and an unset slot while unpickling
        try:
            error = object.__getattribute__(self, "error")
        except AttributeError:
            raise AttributeError(name) from None
        raise AttributeError(
            f"{name!r}: the value was invalid and is kept as an InvalidValue ({error.msg});"
            " check isinstance(value, InvalidValue) before reading its fields",
            name=name,
            obj=self,
        )


def kept_raw(obj: object) -> msgspec.Raw:
    """For an encoder's ``enc_hook``: the exact bytes of a kept :class:`UnknownValue` / :class:`InvalidValue`
    (``NotImplementedError`` for anything else, as msgspec expects)."""
    if isinstance(obj, (UnknownValue, InvalidValue)):
        return msgspec.Raw(obj.raw)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


class InvalidEvent:
    """Stands in for a bad line or element with ``errors="replace"``, so that nothing is dropped.

    ``error`` is the :class:`DecodeError` that strict mode would have raised; ``raw`` the bytes as received.
    """

    __slots__ = ("line", "offset", "index", "error", "raw")

    def __init__(
        self,
        error: DecodeError,
        raw: bytes,
        *,
        line: int | None = None,
        offset: int | None = None,
        index: int | None = None,
    ) -> None:
        self.error = _detached(error)
        self.raw = raw
        self.line = line
        self.offset = offset
        self.index = index

    type = None  # an invalid event has no trustworthy tag

    def relocated(
        self,
        *,
        line: int | None | _Keep = KEEP,
        offset: int | None | _Keep = KEEP,
        index: int | None | _Keep = KEEP,
        raw: bytes | _Keep = KEEP,
    ) -> InvalidEvent:
        """This event at other coordinates, its error moved with it (see :meth:`DecodeError.relocated`): the
        event's ``line``/``offset``/``index``/``raw`` and its error's always agree."""
        return _moved(self, self.error.relocated(line=line, offset=offset, index=index, raw=raw), raw)

    def shifted(self, line: int = 0, offset: int = 0, index: int = 0) -> InvalidEvent:
        """This event with its coordinates (and its error's) moved by these amounts (see
        :meth:`DecodeError.shifted`)."""
        return _moved(self, self.error.shifted(line, offset, index), KEEP)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InvalidEvent):
            return NotImplemented
        return (self.raw, self.line, self.offset, self.index, str(self.error)) == (
            other.raw,
            other.line,
            other.offset,
            other.index,
            str(other.error),
        )

    __hash__ = None  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]

    def __repr__(self) -> str:
        return f"InvalidEvent(line={self.line}, offset={self.offset}, index={self.index}, error={str(self.error)!r})"


def _moved(event: InvalidEvent, error: DecodeError, raw: bytes | _Keep) -> InvalidEvent:
    return InvalidEvent(
        error, event.raw if raw is KEEP else raw, line=error.line, offset=error.offset, index=error.index
    )


class MissingExtraError(ImportError):
    """An optional dependency (an extra of this package) is not installed; the message gives the
    ``pip install`` line that installs it, ``extra`` its name (``"arrow"``, ``"cli"``, ...)."""

    def __init__(self, what: str, extra: str, module: str) -> None:
        self.extra = extra
        self.install = f"pip install 'openresponses-msgspec[{extra}]'"
        super().__init__(f"{what} needs {module}: {self.install}", name=module)
