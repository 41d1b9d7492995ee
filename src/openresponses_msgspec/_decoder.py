"""The public, generic :class:`Decoder`: one object owning the msgspec decoder, the slow path and the error
policy, with every input form as a method. The module-level functions are thin wrappers over a default one.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Literal, TypeVar, overload

import msgspec

from . import _array, _ndjson, _sse
from ._bytes import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from ._errors import DecodeError, InvalidEvent, UnknownEvent
from ._kernel import DEFAULT, Buffer, DecoderBase, Event, Framed, Kernel, as_bytes, source
from ._models import EVENT_TYPES, StreamEvent
from ._projection import Skipped, View, camel_twin, skipped_class
from ._sse import SSEDecoder

__all__ = ["Decoder", "Event", "Framed", "Skipped", "View", "decode", "decode_array", "decode_lines"]

T_co = TypeVar("T_co", covariant=True)
V = TypeVar("V", bound=View)
Naming = Literal["snake", "camel"]


class Decoder(DecoderBase[T_co]):
    """Decodes Responses stream events from bytes, in every input form.

    ``Decoder()`` decodes to the full typed model (a ``Decoder[StreamEvent]``). Each method returns typed
    events, :class:`UnknownEvent` for a ``type`` the model does not know, and with ``errors="replace"``
    :class:`InvalidEvent` in place of a bad one. A ``Decoder`` holds no per-call state: share it freely,
    also between threads.

    Projections decode only what a worker reads:

    - ``Decoder(views=[...])`` (a ``Decoder[View | Skipped]``): each view subclasses :class:`View` with
      ``tag="<event type>"`` and declares only the fields it reads; every other known event becomes a
      :class:`Skipped` that keeps its position and ``.type``.
    - ``Decoder(only=[tag, ...])`` (a ``Decoder[StreamEvent | Skipped]``): the full classes for those tags,
      :class:`Skipped` for the others.

    Unknown tags still give :class:`UnknownEvent` and malformed JSON is still an error, but a projection
    validates only what it declares (a skipped event's fields are not checked at all).

    ``naming="camel"`` reads logs written with camelCase field names (``itemId``, ``outputIndex``,
    ``sequenceNumber``: OpenRouter's TypeScript SDK) into the same classes: each event is an instance of a
    lazily built subclass ("camel twin") of the wire class, so ``isinstance`` checks hold. ``==`` compares
    the class too, so a camel-read event is not ``==`` to the same event read from the wire form; ``encode``
    writes it back in camelCase (``Decoder(naming="camel").decode(encode(e)) == e``).
    """

    __slots__ = ()

    @overload
    def __init__(self: Decoder[StreamEvent], *, naming: Naming = "snake") -> None: ...
    @overload
    def __init__(self: Decoder[StreamEvent | Skipped], *, only: Iterable[str], naming: Naming = "snake") -> None: ...
    @overload
    def __init__(self: Decoder[V | Skipped], *, views: Iterable[type[V]], naming: Naming = "snake") -> None: ...
    @overload
    def __init__(
        self: Decoder[V | StreamEvent | Skipped],
        *,
        views: Iterable[type[V]],
        only: Iterable[str],
        naming: Naming = "snake",
    ) -> None: ...
    # Several view classes in one list: pyright types it as the union of the views (above), mypy joins the
    # classes to their metaclass and cannot solve V; these two give it a Decoder[View | Skipped] instead of an
    # error. Both checkers call them unreachable, which is true only of pyright's inference.
    @overload
    def __init__(  # type: ignore[overload-cannot-match]  # pyright: ignore[reportOverlappingOverload]
        self: Decoder[View | Skipped],
        *,
        views: Iterable[type[View]],
        naming: Naming = "snake",
    ) -> None: ...
    @overload
    def __init__(  # type: ignore[overload-cannot-match]  # pyright: ignore[reportOverlappingOverload]
        self: Decoder[View | StreamEvent | Skipped],
        *,
        views: Iterable[type[View]],
        only: Iterable[str],
        naming: Naming = "snake",
    ) -> None: ...
    def __init__(
        self,
        *,
        views: Iterable[type[View]] | None = None,
        only: Iterable[str] | None = None,
        naming: str = "snake",
    ) -> None:
        if naming not in ("snake", "camel"):
            raise ValueError(f"naming must be 'snake' or 'camel', not {naming!r}")
        if isinstance(only, str):
            raise TypeError("only= takes a list of tags, not one string")
        types: dict[str, type[msgspec.Struct]] = {}
        for view in views or ():
            if not (isinstance(view, type) and issubclass(view, View)) or view.__struct_config__.tag is None:
                raise TypeError(f"views must be View subclasses declaring tag='...', not {view!r}")
            tag = view.__struct_config__.tag
            if not isinstance(tag, str) or tag in types:
                raise ValueError(f"views: tag {tag!r} given twice" if tag in types else f"views: bad tag {tag!r}")
            types[tag] = view
        for tag in only or ():
            if tag not in EVENT_TYPES:
                raise ValueError(f"only: unknown event type {tag!r}")
            if tag in types:
                raise ValueError(f"only: {tag!r} also has a view")
            types[tag] = EVENT_TYPES[tag]
        projection = views is not None or only is not None
        if not projection and naming == "snake":
            self._kernel = DEFAULT  # (the full model's kernel, built once)
            return
        if projection:
            for tag in EVENT_TYPES:
                if tag not in types:
                    types[tag] = skipped_class(tag)
        else:
            types.update(EVENT_TYPES)
        if naming == "camel":
            types = {tag: camel_twin(cls) for tag, cls in types.items()}
        union: Any = typing.Union[tuple(types.values())]  # noqa: UP007
        self._kernel = Kernel(union, types)

    def decode(self, buf: Buffer) -> T_co | UnknownEvent:
        """Decode one JSON event. Raises :class:`DecodeError` (with ``.path`` or ``.pos``, and ``.raw``)."""
        data = as_bytes(buf) if isinstance(buf, str) else source(buf)[0]
        try:
            return self._kernel.one(data)  # type: ignore[no-any-return]
        except DecodeError as err:
            raise err.relocated(raw=bytes(data)) from None

    @overload
    def decode_lines(
        self,
        buf: Buffer,
        *,
        errors: Literal["strict"] = "strict",
        max_line_size: int = ...,
        raw: Literal[False] = False,
    ) -> list[T_co | UnknownEvent]: ...
    @overload
    def decode_lines(
        self, buf: Buffer, *, errors: Literal["replace"], max_line_size: int = ..., raw: Literal[False] = False
    ) -> list[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def decode_lines(
        self, buf: Buffer, *, errors: Literal["strict"] = "strict", max_line_size: int = ..., raw: Literal[True]
    ) -> list[Framed[T_co | UnknownEvent]]: ...
    @overload
    def decode_lines(
        self, buf: Buffer, *, errors: Literal["replace"], max_line_size: int = ..., raw: Literal[True]
    ) -> list[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    @overload
    def decode_lines(
        self, buf: Buffer, *, errors: str, max_line_size: int = ..., raw: Literal[False] = False
    ) -> list[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def decode_lines(
        self, buf: Buffer, *, errors: str = "strict", max_line_size: int = ..., raw: bool
    ) -> list[T_co | UnknownEvent | InvalidEvent] | list[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    def decode_lines(
        self,
        buf: Buffer,
        *,
        errors: str = "strict",
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
        raw: bool = False,
    ) -> list[Any]:
        """Decode NDJSON: one event per line (LF or CRLF); whitespace-only lines are skipped.

        A line holding two values, half a value, invalid UTF-8 or an invalid event is a bad line. With
        ``errors="strict"`` the first bad line raises :class:`DecodeError` with ``.line`` (1-based physical
        line), ``.offset`` (byte offset of the line), ``.path`` and ``.raw``. With ``errors="replace"`` it
        becomes an :class:`InvalidEvent` in its place, so the result has one item per non-blank line. A line
        longer than ``max_line_size`` bytes (before its LF) is a bad line, kept as its first KiB.
        ``raw=True``: each item is a :class:`Framed` ``(event, raw)``, ``raw`` the line without its line end.
        """
        if raw:
            return _ndjson.decode_lines_raw(self._kernel, buf, errors, max_line_size)
        return _ndjson.decode_lines(self._kernel, buf, errors, max_line_size)

    @overload
    def decode_array(
        self, buf: Buffer, *, errors: Literal["strict"] = "strict", raw: Literal[False] = False
    ) -> list[T_co | UnknownEvent]: ...
    @overload
    def decode_array(
        self, buf: Buffer, *, errors: Literal["replace"], raw: Literal[False] = False
    ) -> list[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def decode_array(
        self, buf: Buffer, *, errors: Literal["strict"] = "strict", raw: Literal[True]
    ) -> list[Framed[T_co | UnknownEvent]]: ...
    @overload
    def decode_array(
        self, buf: Buffer, *, errors: Literal["replace"], raw: Literal[True]
    ) -> list[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    @overload
    def decode_array(
        self, buf: Buffer, *, errors: str, raw: Literal[False] = False
    ) -> list[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def decode_array(
        self, buf: Buffer, *, errors: str = "strict", raw: bool
    ) -> list[T_co | UnknownEvent | InvalidEvent] | list[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    def decode_array(self, buf: Buffer, *, errors: str = "strict", raw: bool = False) -> list[Any]:
        """Decode a JSON array of events. Errors name the element by ``.index`` (0-based).

        With ``errors="replace"`` a bad element becomes an :class:`InvalidEvent` in place. A buffer that is
        not a well-formed JSON array at all raises :class:`DecodeError` in both modes (there is nothing to keep).
        ``raw=True``: each item is a :class:`Framed` ``(event, raw)``, ``raw`` the element's text as in the input.
        """
        if raw:
            return _array.decode_array_raw(self._kernel, buf, errors)
        return _array.decode_array(self._kernel, buf, errors)

    @overload
    def decode_sse(
        self, buf: Buffer, *, errors: Literal["strict"] = "strict", raw: Literal[False] = False
    ) -> list[T_co | UnknownEvent]: ...
    @overload
    def decode_sse(
        self, buf: Buffer, *, errors: Literal["replace"], raw: Literal[False] = False
    ) -> list[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def decode_sse(
        self, buf: Buffer, *, errors: Literal["strict"] = "strict", raw: Literal[True]
    ) -> list[Framed[T_co | UnknownEvent]]: ...
    @overload
    def decode_sse(
        self, buf: Buffer, *, errors: Literal["replace"], raw: Literal[True]
    ) -> list[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    @overload
    def decode_sse(
        self, buf: Buffer, *, errors: str, raw: Literal[False] = False
    ) -> list[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def decode_sse(
        self, buf: Buffer, *, errors: str = "strict", raw: bool
    ) -> list[T_co | UnknownEvent | InvalidEvent] | list[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    def decode_sse(self, buf: Buffer, *, errors: str = "strict", raw: bool = False) -> list[Any]:
        """Decode a whole SSE buffer (a captured stream or an SSE log holding many streams).

        ``[DONE]`` markers and comments are skipped; errors follow :class:`SSEDecoder`. ``raw=True``: each
        item is a :class:`Framed` ``(event, raw)``, ``raw`` the event's data (its data lines joined by ``\\n``).
        """
        return _sse._decode_sse(self, buf, errors, raw)

    @overload
    def sse_decoder(
        self,
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[False] = False,
    ) -> SSEDecoder[T_co | UnknownEvent]: ...
    @overload
    def sse_decoder(
        self,
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[False] = False,
    ) -> SSEDecoder[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def sse_decoder(
        self,
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[True],
    ) -> SSEDecoder[Framed[T_co | UnknownEvent]]: ...
    @overload
    def sse_decoder(
        self, *, errors: Literal["replace"], max_event_size: int = ..., last_event_id: str = ..., raw: Literal[True]
    ) -> SSEDecoder[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    @overload
    def sse_decoder(
        self, *, errors: str, max_event_size: int = ..., last_event_id: str = ..., raw: Literal[False] = False
    ) -> SSEDecoder[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def sse_decoder(
        self, *, errors: str = ..., max_event_size: int = ..., last_event_id: str = ..., raw: bool
    ) -> SSEDecoder[Any]: ...
    def sse_decoder(
        self,
        *,
        errors: str = "strict",
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        last_event_id: str = "",
        raw: bool = False,
    ) -> Any:
        """An incremental :class:`SSEDecoder` decoding with this decoder (one per stream: it holds state)."""
        return SSEDecoder(
            errors=errors, max_event_size=max_event_size, decoder=self, raw=raw, last_event_id=last_event_id
        )

    @overload
    def iter_sse(
        self,
        chunks: Iterable[Buffer],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[False] = False,
    ) -> Iterator[T_co | UnknownEvent]: ...
    @overload
    def iter_sse(
        self,
        chunks: Iterable[Buffer],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[False] = False,
    ) -> Iterator[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def iter_sse(
        self,
        chunks: Iterable[Buffer],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[True],
    ) -> Iterator[Framed[T_co | UnknownEvent]]: ...
    @overload
    def iter_sse(
        self,
        chunks: Iterable[Buffer],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[True],
    ) -> Iterator[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    @overload
    def iter_sse(
        self,
        chunks: Iterable[Buffer],
        *,
        errors: str,
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[False] = False,
    ) -> Iterator[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def iter_sse(
        self,
        chunks: Iterable[Buffer],
        *,
        errors: str = ...,
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: bool,
    ) -> Iterator[Any]: ...
    def iter_sse(
        self,
        chunks: Iterable[Buffer],
        *,
        errors: str = "strict",
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        last_event_id: str = "",
        raw: bool = False,
    ) -> Iterator[Any]:
        """Events from an iterable of byte chunks (``httpx.Response.iter_bytes()``, a file read in blocks)."""
        dec = self.sse_decoder(errors=errors, max_event_size=max_event_size, last_event_id=last_event_id, raw=raw)
        return _sse.iter_sse(chunks, decoder=dec)

    @overload
    def aiter_sse(
        self,
        chunks: AsyncIterable[Buffer],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[False] = False,
    ) -> AsyncIterator[T_co | UnknownEvent]: ...
    @overload
    def aiter_sse(
        self,
        chunks: AsyncIterable[Buffer],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[False] = False,
    ) -> AsyncIterator[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def aiter_sse(
        self,
        chunks: AsyncIterable[Buffer],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[True],
    ) -> AsyncIterator[Framed[T_co | UnknownEvent]]: ...
    @overload
    def aiter_sse(
        self,
        chunks: AsyncIterable[Buffer],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[True],
    ) -> AsyncIterator[Framed[T_co | UnknownEvent | InvalidEvent]]: ...
    @overload
    def aiter_sse(
        self,
        chunks: AsyncIterable[Buffer],
        *,
        errors: str,
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: Literal[False] = False,
    ) -> AsyncIterator[T_co | UnknownEvent | InvalidEvent]: ...
    @overload
    def aiter_sse(
        self,
        chunks: AsyncIterable[Buffer],
        *,
        errors: str = ...,
        max_event_size: int = ...,
        last_event_id: str = ...,
        raw: bool,
    ) -> AsyncIterator[Any]: ...
    def aiter_sse(
        self,
        chunks: AsyncIterable[Buffer],
        *,
        errors: str = "strict",
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        last_event_id: str = "",
        raw: bool = False,
    ) -> AsyncIterator[Any]:
        """Async twin of :meth:`iter_sse` (``httpx.Response.aiter_bytes()``, aiohttp's ``iter_chunked``)."""
        dec = self.sse_decoder(errors=errors, max_event_size=max_event_size, last_event_id=last_event_id, raw=raw)
        return _sse.aiter_sse(chunks, decoder=dec)


_DEFAULT: Decoder[StreamEvent] = Decoder()


# -- module-level functions: thin wrappers over the default decoder --------------------------------------------


def decode(buf: Buffer) -> Event:
    """Decode one JSON event to its typed Struct (or :class:`UnknownEvent` for a type no variant knows).

    Raises :class:`DecodeError` for malformed JSON, invalid UTF-8, a non-object, a missing ``type`` or a value
    of the wrong type; the message names the JSON path (``$.output_index``) or the byte position.
    """
    return _DEFAULT.decode(buf)


@overload
def decode_lines(
    buf: Buffer, *, errors: Literal["strict"] = "strict", max_line_size: int = ..., raw: Literal[False] = False
) -> list[Event]: ...
@overload
def decode_lines(
    buf: Buffer, *, errors: Literal["replace"], max_line_size: int = ..., raw: Literal[False] = False
) -> list[Event | InvalidEvent]: ...
@overload
def decode_lines(  # pyright: ignore[reportOverlappingOverload]  # the raw: bool overload is wider (list invariance)
    buf: Buffer, *, errors: Literal["strict"] = "strict", max_line_size: int = ..., raw: Literal[True]
) -> list[Framed[Event]]: ...
@overload
def decode_lines(
    buf: Buffer, *, errors: Literal["replace"], max_line_size: int = ..., raw: Literal[True]
) -> list[Framed[Event | InvalidEvent]]: ...
@overload
def decode_lines(
    buf: Buffer, *, errors: str, max_line_size: int = ..., raw: Literal[False] = False
) -> list[Event | InvalidEvent]: ...
@overload
def decode_lines(
    buf: Buffer, *, errors: str = "strict", max_line_size: int = ..., raw: bool
) -> list[Event | InvalidEvent] | list[Framed[Event | InvalidEvent]]: ...
def decode_lines(
    buf: Buffer, *, errors: str = "strict", max_line_size: int = DEFAULT_MAX_LINE_SIZE, raw: bool = False
) -> list[Any]:
    """Decode NDJSON: one event per line (LF or CRLF); whitespace-only lines are skipped.

    A line holding two values, half a value, invalid UTF-8 or an invalid event is a bad line. With
    ``errors="strict"`` the first bad line raises :class:`DecodeError` with ``.line`` (1-based physical line),
    ``.offset`` (byte offset of the line), ``.path`` and ``.raw``. With ``errors="replace"`` it becomes an
    :class:`InvalidEvent` in its place, so the result has exactly one item per non-blank line. A line longer
    than ``max_line_size`` bytes (before its LF; default :data:`DEFAULT_MAX_LINE_SIZE`, 64 MiB) is a bad line,
    kept as its first KiB.

    ``raw=True`` returns :class:`Framed` ``(event, raw)`` pairs instead: ``raw`` is the line's bytes without
    its line end (a UTF-8 BOM before the first line is not part of it), the same events in the same places.
    """
    if raw:
        return _ndjson.decode_lines_raw(DEFAULT, buf, errors, max_line_size)
    return _ndjson.decode_lines(DEFAULT, buf, errors, max_line_size)


@overload
def decode_array(buf: Buffer, *, errors: Literal["strict"] = "strict", raw: Literal[False] = False) -> list[Event]: ...
@overload
def decode_array(
    buf: Buffer, *, errors: Literal["replace"], raw: Literal[False] = False
) -> list[Event | InvalidEvent]: ...
@overload
def decode_array(  # pyright: ignore[reportOverlappingOverload]  # the raw: bool overload is wider (list invariance)
    buf: Buffer, *, errors: Literal["strict"] = "strict", raw: Literal[True]
) -> list[Framed[Event]]: ...
@overload
def decode_array(
    buf: Buffer, *, errors: Literal["replace"], raw: Literal[True]
) -> list[Framed[Event | InvalidEvent]]: ...
@overload
def decode_array(buf: Buffer, *, errors: str, raw: Literal[False] = False) -> list[Event | InvalidEvent]: ...
@overload
def decode_array(
    buf: Buffer, *, errors: str = "strict", raw: bool
) -> list[Event | InvalidEvent] | list[Framed[Event | InvalidEvent]]: ...
def decode_array(buf: Buffer, *, errors: str = "strict", raw: bool = False) -> list[Any]:
    """Decode a JSON array of events. Errors name the element by ``.index`` (0-based).

    With ``errors="replace"`` a bad element becomes an :class:`InvalidEvent` in place. A buffer that is not
    a well-formed JSON array at all raises :class:`DecodeError` in both modes (there is nothing to keep).
    ``raw=True`` returns :class:`Framed` ``(event, raw)`` pairs, ``raw`` the element's text as in the input.
    """
    if raw:
        return _array.decode_array_raw(DEFAULT, buf, errors)
    return _array.decode_array(DEFAULT, buf, errors)
