"""Server-Sent Events: byte-level framing by the WHATWG rules, feeding the typed decoder's kernel.

This module only frames: it finds each event's data payload (a slice of the input, or the bytes of an event
assembled from several ``data:`` lines) and hands it, with the event's line, byte offset and index, to the
decoder's kernel (``one`` for a payload, ``bulk_lines`` for a run of one-line frames, ``bad`` for the
strict/replace policy). Nothing goes through ``str`` and no JSON is parsed twice.

Jobs, in the order the bytes meet them:

1. chunks -> complete lines (``_start_chunk``, ``_keep_tail``): a partial line waits in a bytearray, a comment
   or an over-long line is discarded as it arrives, a CR at the end of a chunk may own the next chunk's LF;
2. fast paths over a complete buffer (``_run``): runs of comments and blank lines in one regex match, runs of
   ``data: {json}`` frames in one kernel ``bulk_lines`` call, single frames in a tight loop;
3. any other line, by the WHATWG field rules (``_field``), assembling the event's data payload;
4. dispatch at a blank line (``_dispatch``): ``[DONE]``, empty data, or one payload to the kernel;
5. end of stream (``close``): a cut event or a body that was never SSE is reported.

Limits: the data payload of one event is bounded by ``max_event_size`` (checked as bytes arrive); a comment
is never held; a line of another field longer than ``_FIELD_LIMIT`` is dropped. Time is linear in the input
whatever the chunking, and a strict decoder resumed after an error goes on from where it stopped.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Generic, Literal, Protocol, TypeVar, cast, overload

from . import _scan
from ._bytes import BOM as _BOM
from ._bytes import DEFAULT_MAX_EVENT_SIZE
from ._bytes import JSON_WS as _JSON_WS
from ._bytes import KEEP_RAW as _KEEP_RAW
from ._bytes import LFS as _LFS
from ._bytes import WINDOW as _WINDOW
from ._bytes import count_newlines as _count_newlines
from ._errors import DecodeError, InvalidEvent, UnknownEvent
from ._kernel import DEFAULT as _DEFAULT_KERNEL
from ._kernel import Buffer, DecoderBase, Event, Framed, RawKernel
from ._kernel import check_errors as _check_errors
from ._kernel import paused as _paused

T = TypeVar("T")
E = TypeVar("E")

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "aiter_sse", "decode_sse", "iter_sse"]

_FIELD_LIMIT = 64 * 1024  # a line of a field other than data (id:, event:, retry:, unknown) longer than this is dropped
_RETRY_DIGITS = 18  # a longer retry: value is ignored (WHATWG ignores what it cannot use; Python's int() would raise)
_BLOCK = 1 << 18  # bytes per read() when iter_sse/aiter_sse are given a file object
_EOL = re.compile(rb"\r\n|\r|\n")
# A run of comment lines and blank lines: with LF line ends it ends at the first LF followed by another kind of
# line (a search with a literal first byte runs near memchr speed); with CR in the input, one possessive match
# (no backtracking state per line, so no memory that grows with the run).
_QUIET_END = re.compile(rb"\n[^:\n]")
_QUIET = re.compile(rb"(?:(?::[^\r\n]*+)?[\r\n]++)++")
_DONE = b"[DONE]"


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

    __slots__ = (
        # options
        "errors",
        "max_event_size",
        "_kernel",
        "_raw",
        # what the stream said
        "last_event_id",
        "retry",
        "_id",
        "_done_at",
        "_seen",
        "_sniff",
        # chunks -> lines
        "_received",
        "_lines",
        "_buf",
        "_buf_at",
        "_discard",
        "_cr",
        "_bom",
        "_queue",
        "_closed",
        # the event being assembled
        "_data",
        "_has_data",
        "_start",
        "_start_line",
        "_skip",
        # results not yet returned, and the index of the first of them
        "_out",
        "_index",
    )

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
        _check_id(last_event_id)
        if not isinstance(max_event_size, int) or max_event_size < 1:
            raise ValueError(f"max_event_size must be a positive int, not {max_event_size!r}")
        self.errors = errors
        self.max_event_size = max_event_size
        kernel = decoder._kernel if decoder is not None else _DEFAULT_KERNEL
        self._raw = bool(raw)  # results are Framed (event, data) pairs
        self._kernel: Any = RawKernel(kernel) if raw else kernel
        self.last_event_id = last_event_id  # the id of the last dispatched event
        self.retry: int | None = None  # the last `retry:` field (milliseconds)
        self._id = last_event_id  # WHATWG's "last event ID buffer": the last id: line, dispatched at a blank line
        self._done_at = -1  # dispatched-event count when `data: [DONE]` last came
        self._seen = False  # a data/event/id/retry/comment line has come: the body is SSE
        self._sniff = bytearray()  # the body's first KiB while it is not known to be SSE
        self._received = 0  # stream offset of the next chunk
        self._lines = 0  # line ends processed so far
        self._buf = bytearray()  # an incomplete line, waiting for the chunk that ends it
        self._buf_at = 0  # its stream offset
        self._discard = False  # discarding the rest of a line (a comment, an over-long or oversized line)
        self._cr = False  # the last byte processed was a CR line end: an LF right after it belongs to it
        self._bom: bytes | None = b""  # the stream's first bytes while they may be a BOM; None once decided
        self._queue: deque[tuple[bytes, int, int, int | None, int]] = deque()  # input left by a strict error
        self._closed = False
        self._data = bytearray()  # the current event's data payload (its data lines joined by LF)
        self._has_data = False
        self._start = -1  # stream offset of the current event's first line; -1 between events
        self._start_line = 0
        self._skip = False  # inside an oversized event: discard up to its blank line
        self._out: list[Any] = []
        self._index = 0  # index of self._out[0] among dispatched events

    @property
    def done(self) -> bool:
        """Whether the last thing in the stream so far was ``data: [DONE]`` (no event after it)."""
        return self._done_at == self._index + len(self._out)

    # -- public API ---------------------------------------------------------------------------------------

    def feed(self, chunk: Buffer) -> list[T]:
        """Take the next bytes of the stream; return the events they complete, in order."""
        if self._raw:
            return _paused(len(chunk), self._feed, chunk)  # type: ignore[no-any-return]
        return self._feed(chunk)

    def _feed(self, chunk: Buffer) -> list[T]:
        if self._closed:
            raise ValueError("feed() after close()")
        data = _chunk_bytes(chunk)
        if data:
            base = self._received
            self._received += len(data)
            if not self._seen and len(self._sniff) < _KEEP_RAW:
                self._sniff += data[: _KEEP_RAW - len(self._sniff)]
            if self._queue:
                self._queue.append((_own(data), 0, base, None, 0))
            else:
                self._consume(data, 0, base, None)
        if self._queue:
            self._drain()
        return self._take()

    def close(self) -> list[T]:
        """End of stream: return the remaining events, and report a cut event or a body that is not SSE."""
        return self._close()

    def _close(self) -> list[T]:
        if self._closed:
            return self._take()
        self._drain()
        self._closed = True
        if self._bom:  # the whole stream was one or two bytes of a BOM's start
            self._buf, self._buf_at, self._bom = bytearray(self._bom), 0, None
        tail, self._buf = self._buf, bytearray()
        if tail and not self._skip:  # an unfinished last line: its data still belongs to the cut event
            if tail.startswith((b"data:", b"event:", b"id:", b"retry:")) or bytes(tail) in (b"data", b"event", b"id"):
                self._seen = True
            if tail.startswith(b"data") and (len(tail) == 4 or tail[4] == 58):
                if self._start < 0:
                    self._start, self._start_line = self._buf_at, self._lines + 1
                self._add_data(tail, _value_at(tail, 4), len(tail))
        if not self._seen:
            err = DecodeError("not an SSE stream: no data:, event:, id:, retry: or comment line in it")
            self._sniff, head = bytearray(), bytes(self._sniff)
            self._reset_event()
            self._bad(err, head, 0, 1)
        elif self._has_data and not self._skip:
            data, start, line = bytes(self._data), self._start, self._start_line
            self._reset_event()
            stripped = data.strip(_JSON_WS)
            if stripped == _DONE:  # the marker says the stream is complete, blank line or not
                self._done_at = self._index + len(self._out)
            elif stripped:
                self._bad(DecodeError("stream ended inside an event (no blank line after its data)"), data, start, line)
        return self._take()

    # -- 1. chunks -> complete lines ----------------------------------------------------------------------

    def _take(self) -> list[T]:
        out, self._out = self._out, []
        self._index += len(out)
        return out

    def _drain(self) -> None:
        queue = self._queue
        while queue:
            self._consume(*queue.popleft())

    def _consume(self, data: bytes | bytearray, pos: int, base: int, flags: int | None, bulk_from: int = 0) -> None:
        """Process ``data`` (stream offset ``base``) from ``pos``; ``flags is None``: a chunk not started yet.
        A strict error leaves the rest in ``self._queue`` (never copied again, never rescanned)."""
        if flags is None:
            pos = self._start_chunk(data, base)
            if pos < 0:
                return
            flags = _flags(data, pos)
        pos = self._run(data, pos, base, flags, bulk_from)
        if pos < len(data):
            self._keep_tail(data, pos, base)

    def _start_chunk(self, data: bytes | bytearray, base: int) -> int:
        """Finish what the previous chunk left (a BOM, a CR, a discarded or a waiting line); return where the
        complete lines of ``data`` start, or -1 when the whole chunk was used up."""
        pos = 0
        n = len(data)
        if self._bom is not None:
            head = self._bom + bytes(data[:3])
            if len(head) < 3 and _BOM.startswith(head):
                self._bom = head  # too short to tell yet
                return -1
            held, self._bom = self._bom, None
            if head.startswith(_BOM):
                pos = 3 - len(held)
            elif held:  # one or two bytes that were not a BOM after all: the start of the first line
                self._buf, self._buf_at = bytearray(held), 0
            if pos >= n:
                return -1
        if self._cr:
            self._cr = False
            if data[pos] == 10:  # the LF of a CRLF split across chunks
                pos += 1
                if pos >= n:
                    return -1
        if self._discard:  # the rest of a line not kept: find its end without holding it
            eol, nxt = _first_eol(data, pos)
            if eol < 0:
                return -1
            self._discard = False
            self._lines += 1
            self._cr = nxt == n and data[eol] == 13 and nxt - eol == 1
            pos = nxt
        elif self._buf:
            eol, nxt = _first_eol(data, pos)
            if eol < 0:
                self._grow(data, pos)
                return -1
            buf, self._buf = self._buf, bytearray()
            buf += memoryview(data)[pos:eol]
            self._cr = nxt == n and data[eol] == 13 and nxt - eol == 1
            self._lines += 1
            try:
                self._held_line(buf, self._buf_at, self._lines)
            except DecodeError:
                if nxt < n:
                    self._queue.appendleft((_own(data), nxt, base, _flags(data, nxt), 0))
                raise
            pos = nxt
        return pos if pos < n else -1

    def _grow(self, data: bytes | bytearray, pos: int) -> None:
        """``data[pos:]`` continues the waiting line: keep it, unless that passes a limit."""
        buf = self._buf
        more = len(data) - pos
        if len(buf) < 6:
            head = bytes(buf) + bytes(data[pos : pos + 6])
        else:
            head = bytes(buf[:6])
        if head.startswith(b"data:"):
            vs = _value_at(head, 4)
            size = len(self._data) + self._has_data + len(buf) + more - vs
            if size > self.max_event_size:
                self._buf = bytearray()
                self._discard = True
                head = bytes(buf[: _KEEP_RAW + 6]) + bytes(data[pos : pos + _KEEP_RAW + 6])  # (never all of buf)
                self._overflow_line(head, vs, self._buf_at)
                return
        elif len(buf) + more > _FIELD_LIMIT:
            self._buf = bytearray()
            self._drop_line(head, self._buf_at)
            return
        buf += memoryview(data)[pos:]

    def _keep_tail(self, data: bytes | bytearray, pos: int, base: int) -> None:
        """``data[pos:]`` is the start of a line the next chunk ends: keep it, or discard it as it comes."""
        c = data[pos]
        if c == 58 or self._skip:  # a comment, or a line of an oversized event
            self._seen |= c == 58
            self._discard = True
            return
        more = len(data) - pos
        if data.startswith(b"data:", pos):
            vs = _value_at(data, pos + 4) - pos
            size = len(self._data) + self._has_data + more - vs
            if size > self.max_event_size:
                self._discard = True
                self._overflow_line(bytes(data[pos : pos + _KEEP_RAW + 6]), vs, base + pos)
                return
        elif more > _FIELD_LIMIT:
            self._drop_line(bytes(data[pos : pos + 6]), base + pos)
            return
        self._buf = bytearray(memoryview(data)[pos:])
        self._buf_at = base + pos

    def _drop_line(self, head: bytes, offset: int) -> None:
        """An unfinished line of a field other than data passed _FIELD_LIMIT: ignore it, as a whole line
        that long is (it still starts an event, and still tells that the body is SSE)."""
        self._discard = True
        if head.startswith((b"id:", b"event:", b"retry:")):
            self._seen = True
        if self._start < 0:
            self._start, self._start_line = offset, self._lines + 1

    def _overflow_line(self, line: bytes, vs: int, offset: int) -> None:
        """An unfinished data line took its event past max_event_size."""
        self._seen = True
        if self._start < 0:
            self._start, self._start_line = offset, self._lines + 1
        self._overflow(line[vs:])

    def _held_line(self, line: bytearray, offset: int, lineno: int) -> None:
        """A line completed from the waiting buffer (which this decoder owns)."""
        if not self._has_data and not self._skip and line.startswith(b"data") and (len(line) == 4 or line[4] == 58):
            # The event's first data line: adopt the buffer as its payload instead of copying it.
            vs = _value_at(line, 4)
            if self._start < 0:
                self._start, self._start_line = offset, lineno
            self._seen = True
            if len(line) - vs > self.max_event_size:
                self._overflow(line[vs:])
                return
            del line[:vs]  # O(1): bytearray moves its start
            self._data = line
            self._has_data = True
            return
        self._field(line, 0, len(line), offset, lineno)

    # -- 2. fast paths over a complete buffer -------------------------------------------------------------

    def _run(self, b: bytes | bytearray, pos: int, base: int, flags: int, bulk_from: int = 0) -> int:
        """Handle every complete line of ``b`` from ``pos`` (``b[0]`` is at stream offset ``base``); return
        the position of the incomplete last line (``len(b)`` when there is none). ``flags``: see _flags;
        ``bulk_from``: where a bulk attempt may start (kept across a strict error: no region is tried twice)."""
        n = len(b)
        fast = bool(flags & _NO_CR)  # line ends are LF: the frame loop and find(b"\n") apply
        checked = bool(flags & _UTF8)  # valid UTF-8: payloads need no check, bulk decoding may run
        lines = self._lines
        find = b.find
        startswith = b.startswith
        view = memoryview(b)
        one = self._kernel.one
        append = self._out.append
        limit = self.max_event_size
        # where a bulk attempt may start: not in a small buffer, nor again inside a region that failed; never
        # under a max_event_size smaller than a region (bulk decoding does not look at single frames)
        bulk_from = max(pos, bulk_from) if fast and checked and n - pos >= _MIN_WINDOW and limit >= _WINDOW else n
        window = _WINDOW
        try:
            while pos < n:
                if self._start < 0 and not self._skip:
                    c = b[pos]
                    if c == 58 or c == 10 or c == 13:  # comments and blank lines between events: one match
                        if fast and startswith(_LFS[6], pos):  # a long run of blank lines: memcmp, galloping
                            end = pos
                            for k in range(12, -1, -1):
                                while startswith(_LFS[k], end):
                                    end += 1 << k
                            lines += end - pos
                            pos = end
                            continue
                        if fast:
                            # (a window at a time: a long run of blank lines after it is galloped over)
                            stop = pos + 4096 if pos + 4096 < n else n
                            m = _QUIET_END.search(b, pos, stop)
                            end = m.start() + 1 if m is not None else b.rfind(b"\n", pos, stop) + 1
                            if end <= pos and stop < n:  # a comment line longer than the window
                                m = _QUIET_END.search(b, pos)
                                end = m.start() + 1 if m is not None else b.rfind(b"\n", pos) + 1
                        else:
                            m = _QUIET.match(b, pos)
                            end = m.end() if m is not None else 0
                        if end <= pos:
                            break  # an unfinished comment: the tail
                        if c == 58 or find(b"\n:", pos, end) >= 0 or find(b"\r:", pos, end) >= 0:
                            self._seen = True
                        lines += _count_eols(b, pos, end, fast)
                        if end == n and b[end - 1] == 13:
                            self._cr = True
                        pos = end
                        continue
                    if fast and startswith(_FRAME_STARTS, pos):
                        self._seen = True
                        if pos >= bulk_from:
                            end = _bulk_region(b, pos, window)
                            got = None
                            if end:
                                # A clean stream (full window) tries the region at once; once comments or
                                # [DONE] have cut a region short, look for the next one first (a failed
                                # attempt costs more than the search).
                                if window == _WINDOW:
                                    got = self._bulk(b, pos, end)
                                if got is None:
                                    cut = _interruption(b, pos, end)
                                    if cut > pos:  # stop there, and look less far next time
                                        window = max(_MIN_WINDOW, min(_WINDOW, 2 * (cut - pos)))
                                        end = cut
                                        got = self._bulk(b, pos, end)
                                    elif window < _WINDOW:
                                        got = self._bulk(b, pos, end)
                            if got is not None:
                                self._out += got[0]
                                lines += got[1]
                                pos = end
                                window = min(_WINDOW, 2 * window)
                                continue
                            # not again inside the region that failed, nor before 32 KiB when frames are long
                            bulk_from = max(end, pos + 1) if end else pos + 8 * _MIN_WINDOW
                        # The common frame, `[event: ...\n]data: {json}\n\n`, in one step per event.
                        while True:
                            start = pos
                            if pos >= bulk_from and startswith(_FRAME_STARTS, pos):
                                break  # past a region where bulk decoding failed: try it again
                            first = lines + 1  # the frame's first line
                            ev = 0
                            if startswith(b"event:", pos):
                                pos = find(b"\n", pos) + 1
                                if not pos:
                                    pos = start
                                    break
                                ev = 1
                            if not startswith(b"data: ", pos):
                                pos = start
                                break
                            nl = find(b"\n", pos)
                            if nl < 0 or nl + 1 >= n or b[nl + 1] != 10 or nl - pos - 6 > limit:
                                pos = start
                                break
                            s = pos + 6
                            pos = nl + 2
                            lines = first + 1 + ev
                            try:
                                append(one(view[s:nl], checked))
                            except DecodeError as err:
                                self._failed(err, view[s:nl], base + start, first)
                        if pos >= n:
                            break
                        if pos == start and pos >= bulk_from and startswith(_FRAME_STARTS, pos):
                            continue  # stopped at a frame start where a bulk attempt is due
                elif self._skip and fast and b[pos] != 10:  # inside an oversized event: on to its blank line
                    end = find(b"\n\n", pos) + 1 or b.rfind(b"\n", pos) + 1
                    if end <= pos:
                        break
                    lines += b.count(b"\n", pos, end)
                    pos = end
                    continue
                # Any other line, one at a time.
                if fast:
                    eol = find(b"\n", pos)
                    if eol < 0:
                        break
                    nxt = eol + 1
                else:
                    m = _EOL.search(b, pos)
                    if m is None:
                        break
                    eol, nxt = m.span()
                    if nxt == n and nxt - eol == 1 and b[eol] == 13:
                        self._cr = True  # a lone CR ends the chunk: an LF starting the next one ends this line too
                start = pos
                pos = nxt
                lines += 1
                self._field(b, start, eol, base + start, lines)
        except DecodeError:
            # strict mode: go on from here at the next call, without copying or rescanning the rest
            self._lines = lines
            if pos < n:
                self._queue.appendleft((_own(b), pos, base, flags, bulk_from))
            raise
        self._lines = lines
        return pos

    def _bulk(self, b: bytes | bytearray, pos: int, end: int) -> tuple[list[Any], int] | None:
        """Decode the frames in ``b[pos:end]`` with one kernel ``bulk_lines`` call: (events, lines), or None
        to go frame by frame.

        Valid only when the region is exactly ``data: {...}\\n\\n`` frames (all of them, or none, after one
        ``event:`` line), each on one line. The region starts with ``data: {`` and ends with ``}\\n\\n``;
        replacing each ``}\\n\\ndata: {`` separator (with its ``event:`` line) by ``}\\n{`` leaves ``k + 1``
        segments for ``k`` separators, each starting with ``{`` and ending with ``}``. The kernel decodes
        iff its counting proof shows one JSON value per non-blank line; ``k + 1`` values then means one line
        per segment (a segment of several lines has two non-blank ones: its first and its last), so each
        frame is exactly one ``data:`` line and its blank line, and its value is the frame's payload.
        """
        if b[end - 3] != 125:  # "}"
            return None
        if _scan.NATIVE:  # the C scanner frames the region in one pass: its payloads, joined by newlines
            scanned = _scan.sse_frames(b, pos, end)
            if scanned is not None and scanned[0] == end:
                _, frames, lines, joined = scanned
                if self._raw:
                    got = self._kernel.frames(joined.split(b"\n"))
                else:
                    got = self._kernel.bulk_joined(joined, frames)
                return None if got is None else (got, lines)
        if b.startswith(b"data: {", pos):
            if self._raw:  # the frames' payloads, each decoded alone (no proof needed), paired with it
                inner = b[pos + 6 : end - 2]  # (without the last frame's blank line)
                pieces = inner.split(b"\n\ndata: ")
                nl = _count_newlines(inner, 0, len(inner))
                if nl == 2 * len(pieces) - 2:  # every newline is a frame's: each frame is one data line
                    got = self._kernel.frames(pieces)
                    return None if got is None else (got, nl + 2)
            region = b[pos + 6 : end]
            if not self._raw:
                # The common case first, at the cost of one same-length replace (a copy, no count pass): each
                # separator becomes `       }\n{` (JSON whitespace before the `}`). Counting newlines proves it
                # clean: the separators are all the newlines but the last two iff region = 2 * body - 2; then
                # every frame is one line, and body - 1 of them.
                body = region.replace(b"}\n\ndata: {", b"       }\n{")
                nl = len(body) - len(body.replace(b"\n", b""))  # (deleting a byte runs on memchr: 5x a count)
                if len(region) - len(region.replace(b"\n", b"")) == 2 * nl - 2:
                    events = self._kernel.bulk_lines(body, 0, len(body))
                    if events is None or len(events) != nl - 1:
                        return None
                    return events, 2 * (nl - 1)
            body = region.replace(b"}\n\ndata: {", b"}\n{")
            seps = (len(region) - len(body)) // 7
            per_frame = 2
            comments = _COMMENT_SEP
        elif b.startswith(b"event:", pos):  # Open Responses servers: `event: <type>` before every data line
            first = b.find(b"\n", pos, end)
            if first < 0 or not b.startswith(b"data: {", first + 1):
                return None
            body, seps = _EVENT_SEP.subn(b"}\n{", b[first + 7 : end])
            per_frame = 3
            comments = _EVENT_COMMENT_SEP
        else:
            return None
        lines = per_frame * (seps + 1)
        if body.find(b"\n:") >= 0:  # comment lines between frames (OpenRouter's keep-alives): one regex pass
            body, more = comments.subn(b"}\n{", body)
            seps += more
            lines = _count_newlines(b, pos, end)
        if self._raw:  # body is then the payloads joined by newlines, iff it holds no other newline
            pieces = body[:-2].split(b"\n")
            if len(pieces) != seps + 1:
                return None
            got = self._kernel.frames(pieces)
            return None if got is None else (got, lines)
        events = self._kernel.bulk_lines(body, 0, len(body))
        if events is None or len(events) != seps + 1:
            return None
        return events, lines

    # -- 3. one line by the WHATWG field rules ------------------------------------------------------------

    def _field(self, b: bytes | bytearray, pos: int, eol: int, offset: int, lineno: int) -> None:
        """The line ``b[pos:eol]`` (without its line end), at stream ``offset``, line number ``lineno``."""
        if pos == eol:
            self._dispatch()
            return
        if b[pos] == 58:  # a comment
            self._seen = True
            return
        if self._skip:  # inside an oversized event
            return
        # Known field names have at most 5 bytes: never look further (a line may be huge).
        colon = b.find(b":", pos, min(eol, pos + 6))
        if colon < 0:
            if eol - pos > 5:
                name = b""  # an unknown field: ignored
            else:
                name = bytes(b[pos:eol])
            vs = eol
        else:
            name = bytes(b[pos:colon])
            vs = _value_at(b, colon)
        if self._start < 0:
            self._start, self._start_line = offset, lineno
        if name == b"data":
            self._seen = True
            self._add_data(b, vs, eol)
        elif name == b"id":
            self._seen = True
            if eol - vs <= _FIELD_LIMIT:
                value = bytes(b[vs:eol])
                if b"\0" not in value:
                    self._id = value.decode("utf-8", "replace")
        elif name == b"retry":
            self._seen = True
            if eol - vs <= _RETRY_DIGITS:
                value = bytes(b[vs:eol])
                if value.isdigit():  # ASCII digits only, for bytes
                    self.retry = int(value)
        elif name == b"event":  # ignored: the JSON `type` is what identifies an event
            self._seen = True

    def _add_data(self, b: bytes | bytearray, vs: int, eol: int) -> None:
        data = self._data
        size = len(data) + self._has_data + eol - vs
        if size > self.max_event_size:
            self._overflow(memoryview(b)[vs : vs + _KEEP_RAW])
            return
        if self._has_data:
            data.append(10)
        else:
            self._has_data = True
        data += memoryview(b)[vs:eol] if eol - vs > 4096 else b[vs:eol]

    def _overflow(self, more: Any) -> None:
        """The current event's data passed max_event_size with ``more`` (the start of the line that did it):
        drop what is held, skip to its end, report it with the first bytes of its data."""
        keep = min(_KEEP_RAW, self.max_event_size + 1)  # the same bytes whole or chunked: always known
        head = bytes(self._data[:keep])
        if len(head) < keep:
            head = (head + b"\n" if self._has_data else head) + bytes(more[: keep - len(head)])
        start, line = self._start, self._start_line
        self._reset_event()
        self._skip = True
        err = DecodeError(f"event larger than max_event_size (data > {self.max_event_size} bytes)")
        self._bad(err, head[:keep], start, line)

    # -- 4. dispatch --------------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """A blank line: the event is complete."""
        self.last_event_id = self._id
        if not self._has_data:  # no data (or the end of an oversized event): no event
            self._skip = False
            self._start = -1
            return
        data, start, line = self._data, self._start, self._start_line
        self._reset_event()
        try:
            self._out.append(self._kernel.one(data))
        except DecodeError as err:
            self._failed(err, data, start, line)

    def _failed(self, err: DecodeError, data: Any, offset: int, line: int) -> None:
        """A payload the kernel rejected: ``[DONE]``, empty data, or a bad event."""
        raw = bytes(data)
        stripped = raw.strip(_JSON_WS)
        if stripped == _DONE:
            self._done_at = self._index + len(self._out)
        elif stripped:  # (an empty `data:` holds no event)
            self._bad(err, raw, offset, line)

    def _bad(self, err: DecodeError, raw: bytes, offset: int, line: int) -> None:
        """Raise (strict) or keep in place (replace) a bad event; either way it takes the next index."""
        index = self._index + len(self._out)
        try:
            self._kernel.bad(err, raw, self.errors, self._out, line=line, offset=offset, index=index)
        except DecodeError:
            self._index += 1
            raise

    def _reset_event(self) -> None:
        self._data = bytearray()
        self._has_data = False
        self._start = -1
        self._skip = False


_MIN_WINDOW = 1 << 12  # the smallest bulk region (_WINDOW, shared with NDJSON, is the largest)
_FRAME_STARTS = (b"data: {", b"event:")  # where a bulk region may begin
_EVENT_SEP = re.compile(rb"}\n\nevent:[^\n]*\ndata: {")
# Comment lines (and blank lines) between two frames: what separates two frames in a region besides the
# plain separator. Possessive: a match keeps no state per repetition.
_COMMENT_SEP = re.compile(rb"}\n\n(?::[^\n]*+\n++)++data: {")
_EVENT_COMMENT_SEP = re.compile(rb"}\n\n(?::[^\n]*+\n++)++event:[^\n]*+\ndata: {")


_NO_CR = 1
_UTF8 = 2


def _flags(b: bytes | bytearray, pos: int) -> int:
    """What holds for ``b[pos:]`` (whose end may cut a UTF-8 sequence): no CR in it (_NO_CR), valid UTF-8
    (_UTF8). Computed once per chunk, kept with it when a strict error leaves a rest."""
    flags = _NO_CR if b.find(b"\r", pos) < 0 else 0
    # (the C check is one fast pass; without it, isascii() first spares the codec an ASCII buffer)
    if (not _scan.NATIVE and b.isascii()) or _scan.utf8_valid(b, pos, len(b), False):
        flags |= _UTF8
    return flags


def _value_at(b: bytes | bytearray, colon: int) -> int:
    """Where a field's value starts, given the position of its colon (one space after it is dropped)."""
    vs = colon + 1
    return vs + 1 if b[vs : vs + 1] == b" " else vs


def _first_eol(b: bytes | bytearray, pos: int) -> tuple[int, int]:
    """(start, end) of the first line end (CR, LF or CRLF) at or after ``pos``, or (-1, -1)."""
    lf = b.find(b"\n", pos)
    cr = b.find(b"\r", pos, lf if lf >= 0 else len(b))
    if cr >= 0:
        return cr, cr + 2 if cr + 1 == lf else cr + 1
    return (lf, lf + 1) if lf >= 0 else (-1, -1)


def _count_eols(b: bytes | bytearray, pos: int, end: int, no_cr: bool) -> int:
    """Line ends (CR, LF or CRLF) in ``b[pos:end]``."""
    if no_cr:
        return b.count(b"\n", pos, end)
    return b.count(b"\n", pos, end) + b.count(b"\r", pos, end) - b.count(b"\r\n", pos, end)


def _own(b: bytes | bytearray) -> bytes:
    """Bytes the caller cannot change any more (kept across calls after a strict error)."""
    return b if isinstance(b, bytes) else bytes(b)


def _chunk_bytes(chunk: Buffer) -> bytes | bytearray:
    if isinstance(chunk, (bytes, bytearray)):
        return chunk
    if isinstance(chunk, memoryview):
        return chunk.tobytes()
    if isinstance(chunk, str):
        # A lone surrogate cannot be UTF-8: keep it as the (invalid) bytes it would be, so that only the
        # event holding it fails, and the framing of the rest of the stream is untouched.
        return chunk.encode("utf-8", "surrogatepass")
    raise TypeError(f"expected bytes, bytearray, memoryview or str, not {type(chunk).__name__}")


def _bulk_region(b: bytes | bytearray, pos: int, window: int, sample: int = 16, short: int = 2048) -> int:
    """End of the run of complete frames from ``pos`` to decode in one bulk step (at most ``window``
    bytes), or 0 when not worth it: too few frames, or long ones (judged from a sample), for which the
    per-event loop costs less than the extra passes over the bytes."""
    p = pos
    stop = pos + sample * short  # bounded: a two-byte find runs far slower than memchr over a huge frame
    for _ in range(sample):
        p = b.find(b"\n\n", p, stop) + 2
        if p == 1:
            return 0
    last = b.rfind(b"}\n\n", p, pos + window)  # a region ends with a frame, not with a comment
    return last + 3 if last >= 0 else p


def _interruption(b: bytes | bytearray, pos: int, end: int) -> int:
    """Start of the first comment or ``[DONE]`` frame in ``b[pos:end]`` (OpenRouter's usual
    interruptions of a run of frames), or -1."""
    # (the [DONE] needle ends in "\n", rarer in JSON than "]", so the search skips further)
    found = [m + 2 for m in (b.find(b"\n\n:", pos, end), b.find(b"\n\ndata: [DONE]\n", pos, end)) if m >= 0]
    return min(found) if found else -1


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


def _check_id(last_event_id: object) -> None:
    if not isinstance(last_event_id, str) or any(c in last_event_id for c in "\0\r\n"):
        raise ValueError(f"last_event_id must be a str without NUL, CR or LF, not {last_event_id!r}")


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
