"""Server-Sent Events: byte-level framing by the WHATWG rules, feeding the typed decoder's kernel.

This module only frames: it finds each event's data payload (a slice of the input, or the bytes of an event
assembled from several ``data:`` lines) and hands it, with the event's line, byte offset and index, to the
decoder's kernel. Nothing goes through ``str`` and no JSON is parsed twice. It is four parts, which hand each
other regions of complete lines, never single lines (see docs/sse.md):

1. ``_sse_lines.LineBuffer``: chunks -> regions of complete lines (a BOM, a CR at a chunk's end, the partial
   line, discarded comment and over-long lines, the strict-resume queue);
2. ``_sse_scan``: fast paths over one region (runs of comments and blank lines in one match, the
   regular-region proof that hands N frames' payloads to msgspec in one call, a tight per-frame loop);
3. ``_sse_events.EventAssembler``: any other line by the WHATWG field rules, assembling the event's data
   under ``max_event_size``, dispatch at a blank line (``[DONE]``, ``id``/``retry``), the report at close;
4. :class:`SSEDecoder` (here): coordinates them, and ``decode_sse``/``iter_sse``/``aiter_sse`` on top.

Limits: the data payload of one event is bounded by ``max_event_size`` (checked as bytes arrive); a comment
is never held; a line of another field longer than 64 KiB is dropped. Time is linear in the input whatever
the chunking, and a strict decoder resumed after an error goes on from where it stopped.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Generic, Literal, Protocol, TypeVar, cast, overload

from ._bytes import DEFAULT_MAX_EVENT_SIZE
from ._bytes import KEEP_RAW as KEEP_RAW
from ._bytes import WINDOW as _WINDOW
from ._errors import DecodeError, InvalidEvent, UnknownEvent
from ._kernel import DEFAULT as _DEFAULT_KERNEL
from ._kernel import Buffer, DecoderBase, Event, Framed, RawKernel
from ._kernel import check_errors as _check_errors
from ._kernel import paused as _paused
from ._sse_events import EventAssembler, Sink, check_id
from ._sse_lines import NO_CR, UTF8, LineBuffer, chunk_bytes, chunk_flags, count_eols, own
from ._sse_scan import (
    FRAME_STARTS,
    MIN_WINDOW,
    Cursor,
    bulk_frames,
    bulk_region,
    interruption,
    quiet_end,
    single_frames,
)

T = TypeVar("T")
E = TypeVar("E")

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "aiter_sse", "decode_sse", "iter_sse"]

_BLOCK = 1 << 18  # bytes per read() when iter_sse/aiter_sse are given a file object
_EOL = re.compile(rb"\r\n|\r|\n")


class SSEDecoder(Generic[T]):
    """Incremental SSE decoder: ``feed`` bytes as they arrive, get typed events back.

    ``T`` is what ``feed``/``close`` return items of: ``SSEDecoder()`` is an ``SSEDecoder[Event]``, with
    ``errors="replace"`` an ``SSEDecoder[Event | InvalidEvent]``; ``decoder=`` (a :class:`Decoder`, e.g. a
    projection) decodes each event's data with that decoder. ``Decoder.sse_decoder()`` is the same thing.

    ``feed(chunk)`` returns the events completed by that chunk (possibly none); ``close()`` returns the rest
    and reports what the stream left unfinished. Events are typed Structs, :class:`UnknownEvent` for an unknown
    ``type``, or (with ``errors="replace"``) :class:`InvalidEvent` for a bad one. ``data: [DONE]`` sets
    :attr:`done`; another event after it clears it again (SSE logs hold many streams), so after ``close()``
    ``done`` tells whether the stream ended with ``[DONE]``. :attr:`last_event_id` is the ``id:`` of the last
    event dispatched (set at its blank line, as WHATWG says), for a reconnect's ``Last-Event-ID``; resuming,
    pass that ID as ``last_event_id=``: it stays the ID until the stream sends an ``id:`` line (WHATWG keeps
    the ID across a reconnect), so events without one are not taken for the stream's start.

    With ``errors="strict"`` a bad event raises :class:`DecodeError` with ``.index`` (its position among the
    dispatched events: comments and ``[DONE]`` are not counted, invalid events are), ``.offset`` (the stream
    byte offset of its first line) and ``.line`` (the stream's physical line number of its first line, from
    1; CR, LF and CRLF each end a line). The decoder stays usable: the events decoded before the error in the
    same chunk, and the bytes after it, come out of the next ``feed``/``close`` call.

    Limits: ``max_event_size`` bounds the event's data payload (what the ``data:`` lines hold, joined by
    newlines); an event that passes it is reported as soon as it does, its bytes are discarded as they
    arrive, and decoding resumes after its closing blank line. Comments are never held; a line of another
    field longer than 64 KiB is ignored. So one stream holds at most about twice ``max_event_size`` plus the
    chunk being fed.

    At ``close()``: an event without its closing blank line (the stream was cut inside it) is reported,
    never returned (``DecodeError``, or an :class:`InvalidEvent` holding its data); a body that held no
    ``data:``, ``event:``, ``id:``, ``retry:`` or comment line at all (an empty body, a JSON or HTML error
    page) is reported the same way, with the body's first KiB. A stream that just ends without ``[DONE]``
    is no error.

    ``raw=True``: each result is a :class:`Framed` ``(event, raw)``, ``raw`` the event's data as decoded (its
    ``data:`` lines joined by ``\\n``; for an :class:`InvalidEvent`, its ``.raw``).

    One ``SSEDecoder`` reads one stream from one thread at a time: it is not thread-safe.
    """

    __slots__ = ("errors", "max_event_size", "_raw", "_sink", "_events", "_lines", "_cursor", "_sniff", "_closed")

    @overload
    def __init__(
        self: SSEDecoder[Event],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        decoder: None = None,
        last_event_id: str = "",
        raw: Literal[False] = False,
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[Event | InvalidEvent],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        decoder: None = None,
        last_event_id: str = "",
        raw: Literal[False] = False,
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[E | UnknownEvent],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        decoder: DecoderBase[E],
        last_event_id: str = "",
        raw: Literal[False] = False,
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[E | UnknownEvent | InvalidEvent],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        decoder: DecoderBase[E],
        last_event_id: str = "",
        raw: Literal[False] = False,
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[Framed[Event]],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        decoder: None = None,
        last_event_id: str = "",
        raw: Literal[True],
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[Framed[Event | InvalidEvent]],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        decoder: None = None,
        last_event_id: str = "",
        raw: Literal[True],
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[Framed[E | UnknownEvent]],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        decoder: DecoderBase[E],
        last_event_id: str = "",
        raw: Literal[True],
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[Framed[E | UnknownEvent | InvalidEvent]],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        decoder: DecoderBase[E],
        last_event_id: str = "",
        raw: Literal[True],
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[Any],
        *,
        errors: str = ...,
        max_event_size: int = ...,
        decoder: DecoderBase[Any] | None = None,
        last_event_id: str = "",
        raw: bool = ...,
    ) -> None: ...
    def __init__(
        self,
        *,
        errors: str = "strict",
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        decoder: DecoderBase[Any] | None = None,
        last_event_id: str = "",
        raw: bool = False,
    ) -> None:
        _check_errors(errors)
        check_id(last_event_id)
        if not isinstance(max_event_size, int) or max_event_size < 1:
            raise ValueError(f"max_event_size must be a positive int, not {max_event_size!r}")
        self.errors = errors
        self.max_event_size = max_event_size
        kernel = decoder._kernel if decoder is not None else _DEFAULT_KERNEL
        self._raw = bool(raw)  # results are Framed (event, data) pairs
        self._sink = Sink(RawKernel(kernel) if raw else kernel, errors)
        self._events = EventAssembler(self._sink, max_event_size, last_event_id)
        self._lines = LineBuffer(self._events)
        self._cursor = Cursor(0, 0, 0, _WINDOW)  # where _run stands in the region it reads
        self._sniff = bytearray()  # the body's first KiB while it is not known to be SSE
        self._closed = False

    @property
    def done(self) -> bool:
        """Whether the last thing in the stream so far was ``data: [DONE]`` (no event after it)."""
        return self._sink.done

    @property
    def last_event_id(self) -> str:
        """The ``id:`` of the last event dispatched (WHATWG's last event ID), for a reconnect."""
        return self._events.last_event_id

    @property
    def retry(self) -> int | None:
        """The last ``retry:`` field (milliseconds), or ``None``."""
        return self._events.retry

    # -- public API ---------------------------------------------------------------------------------------

    def feed(self, chunk: Buffer) -> list[T]:
        """Take the next bytes of the stream; return the events they complete, in order."""
        if self._raw:
            return _paused(len(chunk), self._feed, chunk)  # type: ignore[no-any-return]
        return self._feed(chunk)

    def _feed(self, chunk: Buffer) -> list[T]:
        if self._closed:
            raise ValueError("feed() after close()")
        data = chunk if type(chunk) is bytes else chunk_bytes(chunk)
        lines = self._lines
        if data:
            base = lines.received
            lines.received += len(data)
            if not self._events.seen and len(self._sniff) < KEEP_RAW:
                self._sniff += data[: KEEP_RAW - len(self._sniff)]
            if lines.queue:
                lines.queue.append((own(data), 0, base, None, 0))
            else:
                self._consume(data, 0, base, None)
        if lines.queue:
            self._drain()
        return self._sink.take()

    def close(self) -> list[T]:
        """End of stream: return the remaining events, and report a cut event or a body that is not SSE."""
        if not self._closed:
            self._drain()
            self._closed = True
            self._lines.close()
            head, self._sniff = bytes(self._sniff), bytearray()
            self._events.close(head)
        return self._sink.take()

    # -- coordination: chunks -> regions -> the scanner's fast paths or the field rules -------------------

    def _drain(self) -> None:
        queue = self._lines.queue
        while queue:
            self._consume(*queue.popleft())

    def _consume(self, data: bytes | bytearray, pos: int, base: int, flags: int | None, bulk_from: int = 0) -> None:
        """Process ``data`` (stream offset ``base``) from ``pos``; ``flags is None``: a chunk not started yet.
        A strict error leaves the rest in the line buffer's queue (never copied again, never rescanned).

        A bulk attempt may start at ``bulk_from`` (kept across a strict error: no region is tried twice):
        not in a small buffer, nor with CR line ends or invalid UTF-8; never under a max_event_size smaller
        than a region (bulk decoding does not look at single frames)."""
        if flags is None:
            pos = self._lines.start_chunk(data, base)
            if pos < 0:
                return
            flags = chunk_flags(data, pos)
        n = len(data)
        cur = self._cursor
        bulk = flags == NO_CR | UTF8 and n - pos >= MIN_WINDOW and self.max_event_size >= _WINDOW
        cur.pos, cur.lines, cur.window = pos, self._lines.lines, _WINDOW
        cur.bulk_from = max(pos, bulk_from) if bulk else n
        self._run(data, cur, base, flags)
        if cur.pos < n:
            self._lines.keep_tail(data, cur.pos, base)

    def _run(self, b: bytes | bytearray, cur: Cursor, base: int, flags: int) -> None:
        """Handle every complete line of the region ``b[cur.pos:]`` (``b[0]`` is at stream offset ``base``),
        leaving ``cur.pos`` at the incomplete last line (``len(b)`` when there is none). ``flags``: see
        chunk_flags."""
        n = len(b)
        fast = bool(flags & NO_CR)  # line ends are LF: the frame loop and find(b"\n") apply
        checked = bool(flags & UTF8)  # valid UTF-8: payloads need no check, bulk decoding may run
        events = self._events
        try:
            while cur.pos < n:
                if events.start < 0 and not events.skip:  # between events: the fast paths
                    step = self._between(b, cur, base, fast, checked)
                elif events.skip and fast:  # inside an oversized event
                    step = self._skip_oversized(b, cur)
                else:
                    step = None
                if step is None:  # a line by the field rules (and the rest of its event)
                    step = self._field_lines(b, cur, base, fast)
                if step is _TAIL:
                    break
        except DecodeError:
            # strict mode: go on from here at the next call, without copying or rescanning the rest
            self._lines.stopped(b, cur.pos, cur.lines, base, flags, cur.bulk_from)
            raise
        self._lines.lines = cur.lines

    def _between(self, b: bytes | bytearray, cur: Cursor, base: int, fast: bool, checked: bool) -> str | None:
        """At a line between events: a run of comments and blank lines, or of frames. ``_NEXT``: done, look
        again; ``_TAIL``: the line is unfinished; ``None``: the line goes by the field rules (another kind of
        line, or a frame that is not the common kind)."""
        pos = cur.pos
        c = b[pos]
        if c in b":\n\r":  # comments and blank lines between events: one match
            return self._quiet(b, cur, c, fast)
        if not fast or not b.startswith(FRAME_STARTS, pos):
            return None
        self._events.seen = True
        if pos >= cur.bulk_from and self._bulk(b, cur):
            return _NEXT
        single_frames(b, cur, base, checked, self.max_event_size, self._sink)
        pos = cur.pos
        if pos >= len(b) or (pos >= cur.bulk_from and b.startswith(FRAME_STARTS, pos)):
            return _NEXT  # (the end, or a frame start where a bulk attempt is due)
        return None if b.find(b"\n", pos) >= 0 else _TAIL

    def _skip_oversized(self, b: bytes | bytearray, cur: Cursor) -> str | None:
        """Inside an oversized event (LF line ends): on to its blank line (``None``: a blank line is next)."""
        pos = cur.pos
        if b[pos] == 10:
            return None
        end = b.find(b"\n\n", pos) + 1 or b.rfind(b"\n", pos) + 1
        if end <= pos:
            return _TAIL
        cur.lines += b.count(b"\n", pos, end)
        cur.pos = end
        return _NEXT

    def _quiet(self, b: bytes | bytearray, cur: Cursor, c: int, fast: bool) -> str:
        """A run of comment and blank lines at ``cur.pos``; ``_TAIL`` when its first line is unfinished."""
        pos = cur.pos
        end = quiet_end(b, pos, fast)
        if end <= pos:
            return _TAIL
        if c == 58 or b.find(b"\n:", pos, end) >= 0 or b.find(b"\r:", pos, end) >= 0:
            self._events.seen = True
        cur.lines += count_eols(b, pos, end, fast)
        if end == len(b) and b[end - 1] == 13:
            self._lines.cr = True
        cur.pos = end
        return _NEXT

    def _bulk(self, b: bytes | bytearray, cur: Cursor) -> bool:
        """Decode a region of frames from ``cur.pos`` in one step; on failure, not again inside it."""
        pos = cur.pos
        kernel, raw = self._sink.kernel, self._raw
        end = bulk_region(b, pos, cur.window)
        got = None
        if end:
            # A clean stream (full window) tries the region at once; once comments or [DONE] have cut a
            # region short, look for the next one first (a failed attempt costs more than the search).
            if cur.window == _WINDOW:
                got = bulk_frames(kernel, raw, b, pos, end)
            if got is None:
                cut = interruption(b, pos, end)
                if cut > pos:  # stop there, and look less far next time
                    cur.window = max(MIN_WINDOW, min(_WINDOW, 2 * (cut - pos)))
                    end = cut
                    got = bulk_frames(kernel, raw, b, pos, end)
                elif cur.window < _WINDOW:
                    got = bulk_frames(kernel, raw, b, pos, end)
        if got is not None:
            self._sink.out += got[0]
            cur.lines += got[1]
            cur.pos = end
            cur.window = min(_WINDOW, 2 * cur.window)
            return True
        # not again inside the region that failed, nor before 32 KiB when frames are long
        cur.bulk_from = max(end, pos + 1) if end else pos + 8 * MIN_WINDOW
        return False

    def _field_lines(self, b: bytes | bytearray, cur: Cursor, base: int, fast: bool) -> str:
        """Lines one at a time by the field rules, from ``cur.pos`` while inside an event; ``_TAIL`` at an
        unfinished line."""
        pos, lines = cur.pos, cur.lines
        n = len(b)
        events = self._events
        field = events.field
        try:
            while True:
                if fast:
                    eol = b.find(b"\n", pos)
                    nxt = eol + 1
                else:
                    eol, nxt = self._eol(b, pos)
                if eol < 0:
                    return _TAIL
                start = pos
                pos = nxt
                lines += 1
                field(b, start, eol, base + start, lines)
                if pos >= n or events.start < 0 or events.skip:
                    return _NEXT
        finally:
            cur.pos, cur.lines = pos, lines

    def _eol(self, b: bytes | bytearray, pos: int) -> tuple[int, int]:
        """The next line end (CR, LF or CRLF): (start, end), or (-1, -1)."""
        m = _EOL.search(b, pos)
        if m is None:
            return -1, -1
        eol, nxt = m.span()
        if nxt == len(b) and nxt - eol == 1 and b[eol] == 13:
            self._lines.cr = True  # a lone CR ends the chunk: an LF starting the next one ends this line too
        return eol, nxt


_NEXT = "next"  # _between's answers (see there)
_TAIL = "tail"


@overload
def decode_sse(buf: Buffer, *, errors: Literal["strict"] = "strict", raw: Literal[False] = False) -> list[Event]: ...
@overload
def decode_sse(
    buf: Buffer, *, errors: Literal["replace"], raw: Literal[False] = False
) -> list[Event | InvalidEvent]: ...
@overload
def decode_sse(  # pyright: ignore[reportOverlappingOverload]  # the raw: bool overload is wider (list invariance)
    buf: Buffer, *, errors: Literal["strict"] = "strict", raw: Literal[True]
) -> list[Framed[Event]]: ...
@overload
def decode_sse(
    buf: Buffer, *, errors: Literal["replace"], raw: Literal[True]
) -> list[Framed[Event | InvalidEvent]]: ...
@overload
def decode_sse(buf: Buffer, *, errors: str, raw: Literal[False] = False) -> list[Event | InvalidEvent]: ...
@overload
def decode_sse(
    buf: Buffer, *, errors: str = "strict", raw: bool
) -> list[Event | InvalidEvent] | list[Framed[Event | InvalidEvent]]: ...
def decode_sse(buf: Buffer, *, errors: str = "strict", raw: bool = False) -> list[Any]:
    """Decode a whole SSE buffer (a captured stream or an SSE log holding many streams) to typed events.

    ``[DONE]`` markers and comments are skipped; errors follow :class:`SSEDecoder` (a cut last event and a
    body that is not SSE at all are reported too). ``raw=True`` returns :class:`Framed` ``(event, raw)`` pairs,
    ``raw`` the event's data as decoded (its ``data:`` lines joined by ``\\n``).
    """
    return _decode_sse(None, buf, errors, raw)


def _decode_sse(decoder: DecoderBase[Any] | None, buf: Buffer, errors: str, raw: bool = False) -> list[Any]:
    dec: SSEDecoder[Any] = SSEDecoder(errors=errors, max_event_size=1 << 62, decoder=decoder, raw=raw)
    out = dec.feed(buf)
    return out + dec.close()


class BinaryReader(Protocol):
    """A binary file object (``open(path, "rb")``, ``io.BytesIO``, a socket file): read in blocks."""

    def read(self, size: int = ..., /) -> bytes: ...


class AsyncBinaryReader(Protocol):
    """An object with ``async read(n)`` (``asyncio.StreamReader``)."""

    def read(self, size: int = ..., /) -> Awaitable[bytes]: ...


def _sse_decoder(
    decoder: Any,
    errors: str | None,
    max_event_size: int | None,
    last_event_id: str | None = None,
    raw: bool | None = None,
) -> SSEDecoder[Any]:
    """The SSEDecoder that iter_sse/aiter_sse use: ``decoder`` itself, or a new one with the options applied.
    Options beside an SSEDecoder are rejected unless they are what it has: never silently ignored."""
    if isinstance(decoder, SSEDecoder):
        for name, value, have in (
            ("errors", errors, decoder.errors),
            ("max_event_size", max_event_size, decoder.max_event_size),
            ("last_event_id", last_event_id, decoder.last_event_id),
            ("raw", raw, decoder._raw),
        ):
            if value is not None and value != have:
                raise TypeError(
                    f"{name}={value!r} conflicts with the SSEDecoder passed as decoder= "
                    f"({name}={have!r}): set it on that SSEDecoder"
                )
        return decoder  # pyright: ignore[reportUnknownVariableType]  # (an SSEDecoder[Unknown], narrowed from Any)
    if decoder is not None and not isinstance(decoder, DecoderBase):
        raise TypeError(f"decoder must be an SSEDecoder or a Decoder, not {type(decoder).__name__}")
    return SSEDecoder(
        errors=errors if errors is not None else "strict",
        max_event_size=max_event_size if max_event_size is not None else DEFAULT_MAX_EVENT_SIZE,
        decoder=decoder,  # pyright: ignore[reportUnknownArgumentType]  # (a DecoderBase[Unknown], narrowed from Any)
        last_event_id=last_event_id if last_event_id is not None else "",
        raw=bool(raw),
    )


def _not_a_buffer(chunks: object, fn: str) -> None:
    if isinstance(chunks, (bytes, bytearray, memoryview, str)):
        raise TypeError(
            f"{fn}() takes an iterable of chunks or a binary file, not one {type(cast(object, chunks)).__name__} "
            f"buffer: decode a whole buffer with decode_sse(buf)"
        )


Chunks = Iterable[Buffer] | BinaryReader
AsyncChunks = AsyncIterable[Buffer] | AsyncBinaryReader


@overload
def iter_sse(chunks: Chunks, *, decoder: SSEDecoder[T], raw: None = None) -> Iterator[T]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: DecoderBase[E],
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[False] | None = None,
) -> Iterator[E | UnknownEvent]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: DecoderBase[E],
    errors: Literal["replace"],
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[False] | None = None,
) -> Iterator[E | UnknownEvent | InvalidEvent]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: None = None,
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[False] | None = None,
) -> Iterator[Event]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: None = None,
    errors: Literal["replace"],
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[False] | None = None,
) -> Iterator[Event | InvalidEvent]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: DecoderBase[E],
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[True],
) -> Iterator[Framed[E | UnknownEvent]]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: DecoderBase[E],
    errors: Literal["replace"],
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[True],
) -> Iterator[Framed[E | UnknownEvent | InvalidEvent]]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: None = None,
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[True],
) -> Iterator[Framed[Event]]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: None = None,
    errors: Literal["replace"],
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[True],
) -> Iterator[Framed[Event | InvalidEvent]]: ...
@overload
def iter_sse(
    chunks: Chunks,
    *,
    decoder: DecoderBase[Any] | None = None,
    errors: str = ...,
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: bool | None = None,
) -> Iterator[Any]: ...
def iter_sse(
    chunks: Chunks,
    *,
    decoder: SSEDecoder[Any] | DecoderBase[Any] | None = None,
    errors: str | None = None,
    max_event_size: int | None = None,
    last_event_id: str | None = None,
    raw: bool | None = None,
) -> Iterator[Any]:
    """Typed events from an iterable of byte chunks (``httpx.Response.iter_bytes()``) or a binary file object
    (read in 256 KiB blocks). A whole buffer is a TypeError: use :func:`decode_sse`.

    ``errors``/``max_event_size``/``last_event_id`` go to a new :class:`SSEDecoder`. ``decoder`` is either your own
    ``SSEDecoder`` (to read ``.done``/``.last_event_id`` afterwards; options passed here must then agree with
    it, else TypeError) or a :class:`Decoder` (e.g. a projection) that decodes each event's data.
    ``raw=True`` yields :class:`Framed` ``(event, raw)`` pairs (see :class:`SSEDecoder`).
    """
    _not_a_buffer(chunks, "iter_sse")
    dec = _sse_decoder(decoder, errors, max_event_size, last_event_id, raw)
    return _iter(dec, chunks)


def _iter(dec: SSEDecoder[Any], chunks: Chunks) -> Iterator[Any]:
    read: Callable[[int], bytes] | None = getattr(chunks, "read", None)
    if callable(read):
        while block := read(_BLOCK):
            yield from dec.feed(block)
    else:
        for chunk in cast("Iterable[Buffer]", chunks):  # (not a reader: an iterable)
            yield from dec.feed(chunk)
    yield from dec.close()


@overload
def aiter_sse(chunks: AsyncChunks, *, decoder: SSEDecoder[T], raw: None = None) -> AsyncIterator[T]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: DecoderBase[E],
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[False] | None = None,
) -> AsyncIterator[E | UnknownEvent]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: DecoderBase[E],
    errors: Literal["replace"],
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[False] | None = None,
) -> AsyncIterator[E | UnknownEvent | InvalidEvent]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: None = None,
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[False] | None = None,
) -> AsyncIterator[Event]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: None = None,
    errors: Literal["replace"],
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[False] | None = None,
) -> AsyncIterator[Event | InvalidEvent]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: DecoderBase[E],
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[True],
) -> AsyncIterator[Framed[E | UnknownEvent]]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: DecoderBase[E],
    errors: Literal["replace"],
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[True],
) -> AsyncIterator[Framed[E | UnknownEvent | InvalidEvent]]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: None = None,
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[True],
) -> AsyncIterator[Framed[Event]]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: None = None,
    errors: Literal["replace"],
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: Literal[True],
) -> AsyncIterator[Framed[Event | InvalidEvent]]: ...
@overload
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: DecoderBase[Any] | None = None,
    errors: str = ...,
    max_event_size: int = ...,
    last_event_id: str = ...,
    raw: bool | None = None,
) -> AsyncIterator[Any]: ...
def aiter_sse(
    chunks: AsyncChunks,
    *,
    decoder: SSEDecoder[Any] | DecoderBase[Any] | None = None,
    errors: str | None = None,
    max_event_size: int | None = None,
    last_event_id: str | None = None,
    raw: bool | None = None,
) -> AsyncIterator[Any]:
    """Async twin of :func:`iter_sse`, for ``httpx.Response.aiter_bytes()``, aiohttp's ``iter_chunked`` or an
    object with ``async read(n)`` (``asyncio.StreamReader``)."""
    _not_a_buffer(chunks, "aiter_sse")
    dec = _sse_decoder(decoder, errors, max_event_size, last_event_id, raw)
    return _aiter(dec, chunks)


async def _aiter(dec: SSEDecoder[Any], chunks: AsyncChunks) -> AsyncIterator[Any]:
    read: Callable[[int], Awaitable[Buffer] | Buffer] | None = getattr(chunks, "read", None)
    if callable(read):
        while True:
            block = read(_BLOCK)
            if not isinstance(block, (bytes, bytearray, memoryview, str)):
                block = await block
            if not block:
                break
            for ev in dec.feed(block):
                yield ev
    else:
        async for chunk in cast("AsyncIterable[Buffer]", chunks):  # (not a reader: an async iterable)
            for ev in dec.feed(chunk):
                yield ev
    for ev in dec.close():
        yield ev
