"""Server-Sent Events: byte-level framing by the WHATWG rules, feeding the typed decoder.

The framing works on bytes and hands each event's data to msgspec as a memoryview slice: nothing goes
through ``str`` and no JSON is parsed twice. The common frame (``data: {json}`` then a blank line, LF line
ends, optionally after an ``event:`` line) is matched by a tight loop of ``find``/``startswith`` calls; any
other line (comments, ``id:``/``retry:``, several ``data:`` lines, CR or CRLF line ends) goes through the
general line handler, which follows https://html.spec.whatwg.org/multipage/server-sent-events.html.

Time is linear in the stream's size whatever the chunking: a partial line waits in a bytearray that only
grows (amortised O(1) per byte) and is scanned again only once the chunk that ends it has arrived.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Generic, Literal, TypeVar, overload

from ._decode import JSON_WS as _JSON_WS
from ._decode import WINDOW as _WINDOW
from ._decode import Buffer, Kernel
from ._decode import as_bytes as _as_bytes
from ._decode import check_errors as _check_errors
from ._decode import utf8_decode_error as _utf8_decode_error
from ._decode import utf8_error as _utf8_error
from ._decode import utf8_valid as _utf8_valid
from ._decoder import _DEFAULT, Decoder, Event
from ._errors import DecodeError, InvalidEvent, UnknownEvent

T = TypeVar("T")
E = TypeVar("E")

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "aiter_sse", "decode_sse", "iter_sse"]

DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024
_EOL = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"
_DONE = b"[DONE]"
_KEEP_RAW = 1024  # bytes of an oversized event kept in its error, for diagnosis


class SSEDecoder(Generic[T]):
    """Incremental SSE decoder: ``feed`` bytes as they arrive, get typed events back.

    ``T`` is what ``feed``/``close`` return items of: ``SSEDecoder()`` is an ``SSEDecoder[Event]``, with
    ``errors="replace"`` an ``SSEDecoder[Event | InvalidEvent]``; ``decoder=`` (a :class:`Decoder`, e.g. a
    projection) decodes each event's data with that decoder. ``Decoder.sse_decoder()`` is the same thing.

    ``feed(chunk)`` returns the events completed by that chunk (possibly none); ``close()`` returns the rest
    and reports a stream cut inside an event. Events are typed Structs, :class:`UnknownEvent` for an unknown
    ``type``, or (with ``errors="replace"``) :class:`InvalidEvent` for a bad one. ``data: [DONE]`` sets
    :attr:`done`; another event after it clears it again (SSE logs hold many streams), so after ``close()``
    ``done`` tells whether the stream ended with ``[DONE]``.

    With ``errors="strict"`` a bad event raises :class:`DecodeError` with ``.index`` (its position among the
    dispatched events: comments and ``[DONE]`` are not counted, invalid events are) and ``.offset`` (the
    stream byte offset of its first line). The decoder stays usable: the events decoded before the error in
    the same chunk, and the bytes after it, come out of the next ``feed``/``close`` call.

    An event larger than ``max_event_size`` bytes is reported as soon as it passes the limit, its bytes are
    discarded as they arrive, and decoding resumes after its closing blank line.
    """

    __slots__ = (
        "errors", "max_event_size", "last_event_id", "retry",
        "_buf", "_base", "_data", "_size", "_start", "_skip", "_midline", "_cr", "_bom", "_out", "_index",
        "_resume", "_closed", "_done_at", "_check_utf8", "_kernel",
    )

    @overload
    def __init__(
        self: SSEDecoder[Event],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        decoder: None = None,
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[Event | InvalidEvent],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        decoder: None = None,
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[E | UnknownEvent],
        *,
        errors: Literal["strict"] = "strict",
        max_event_size: int = ...,
        decoder: Decoder[E],
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[E | UnknownEvent | InvalidEvent],
        *,
        errors: Literal["replace"],
        max_event_size: int = ...,
        decoder: Decoder[E],
    ) -> None: ...
    @overload
    def __init__(
        self: SSEDecoder[Any], *, errors: str, max_event_size: int = ..., decoder: Decoder[Any] | None = None
    ) -> None: ...
    def __init__(
        self,
        *,
        errors: str = "strict",
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        decoder: Decoder[Any] | None = None,
    ) -> None:
        _check_errors(errors)
        self._kernel: Kernel = (decoder if decoder is not None else _DEFAULT)._kernel
        if max_event_size < 1:
            raise ValueError(f"max_event_size must be positive, not {max_event_size!r}")
        self.errors = errors
        self.max_event_size = max_event_size
        self.last_event_id = ""  # the last `id:` field, for a reconnect's Last-Event-ID header
        self.retry: int | None = None  # the last `retry:` field (milliseconds)
        self._buf = bytearray()  # an incomplete line, waiting for the chunk that ends it
        self._base = 0  # stream offset of the first byte not yet processed
        self._data: list[bytes] = []  # values of the current event's data lines
        self._size = 0  # bytes held for the current event
        self._start = -1  # stream offset of the current event's first field line; -1 between events
        self._skip = False  # inside an oversized event: discard up to its blank line
        self._midline = False  # (while skipping) the last discarded byte did not end a line
        self._cr = False  # the last byte processed was a CR line end: an LF right after it belongs to it
        self._bom = True  # at the very start: a UTF-8 BOM may still come
        self._out: list[Any] = []  # decoded events not yet returned
        self._index = 0  # index of self._out[0] among dispatched events
        self._resume = b""  # unprocessed bytes left by a strict-mode error
        self._closed = False
        self._done_at = -1  # dispatched-event count when `data: [DONE]` last came
        self._check_utf8 = False  # a data line of the current event holds invalid UTF-8

    @property
    def done(self) -> bool:
        """Whether the last thing in the stream so far was ``data: [DONE]`` (no event after it)."""
        return self._done_at == self._index + len(self._out)

    # -- public API ---------------------------------------------------------------------------------------

    def feed(self, chunk: Buffer) -> list[T]:
        """Take the next bytes of the stream; return the events they complete, in order."""
        if self._closed:
            raise ValueError("feed() after close()")
        data = _as_bytes(chunk)
        if self._resume:
            data, self._resume = self._resume + data, b""
        if data:
            self._feed(data)
        return self._take()

    def close(self) -> list[T]:
        """End of stream: return the remaining events. A last event without its closing blank line is returned
        when it decodes; when it does not (the stream was cut inside it) it is reported: DecodeError, or an
        InvalidEvent with ``errors="replace"``. A stream that just ends without ``[DONE]`` is no error."""
        if self._closed:
            return self._take()
        if self._resume:
            data, self._resume = self._resume, b""
            self._feed(data)
        self._closed = True
        tail, self._buf = bytes(self._buf), bytearray()
        if self._bom and tail.startswith(_BOM):
            tail, self._base = tail[3:], self._base + 3
        if tail and not self._skip:
            self._line(tail, self._base, bad_utf8=_utf8_error(tail) is not None)
        if self._data and not self._skip:
            self._dispatch_pending(truncated=True)
        return self._take()

    # -- framing ------------------------------------------------------------------------------------------

    def _take(self) -> list[T]:
        out, self._out = self._out, []
        self._index += len(out)
        return out

    def _feed(self, data: bytes | bytearray) -> None:
        if self._bom:
            if self._buf or len(data) < 3:
                self._buf += data
                if len(self._buf) < 3 and _BOM.startswith(bytes(self._buf)):
                    return  # too short to tell yet
                data, self._buf = bytes(self._buf), bytearray()
            self._bom = False
            if data.startswith(_BOM):
                data = data[3:]
                self._base += 3
                if not data:
                    return
        if self._cr:
            self._cr = False
            if data[0] == 10:  # the LF of a CRLF split across chunks
                data = data[1:]
                self._base += 1
                if not data:
                    return
        if self._skip and self._midline:  # discard the rest of an oversized line, never holding it
            m = _EOL.search(data)
            if m is None:
                self._base += len(data)
                return
            self._midline = False
            end = m.end()
            if end == len(data) and data[-1] == 13:
                self._cr = True
            data = data[end:]
            self._base += end
            if not data:
                return
        if self._buf:
            if data.find(b"\n") < 0 and data.find(b"\r") < 0:  # the waiting line goes on: O(len(data))
                size = len(self._buf) + len(data) + self._size
                if size > self.max_event_size:
                    buf, self._buf = self._buf, bytearray()
                    self._drop_partial_line(size, buf, 0, len(buf) + len(data))
                else:
                    self._buf += data
                return
            self._buf += data
            data, self._buf = bytes(self._buf), bytearray()
        pos = self._process(data)
        rest = len(data) - pos
        if not rest:
            self._base += pos
        elif self._skip:  # an oversized event goes on past this chunk
            self._base += len(data)
            self._midline = True
        elif rest + self._size > self.max_event_size:
            self._drop_partial_line(rest + self._size, data[pos : pos + _KEEP_RAW + 6], pos, len(data))
        else:
            self._buf = bytearray(data[pos:])
            self._base += pos

    def _process(self, b: bytes | bytearray) -> int:
        """Handle every complete line of ``b`` (which starts at stream offset ``self._base``); return the
        position of the first byte of the incomplete last line (``len(b)`` when there is none)."""
        n = len(b)
        pos = 0
        base = self._base
        view = memoryview(b)
        find = b.find
        startswith = b.startswith
        append = self._out.append
        kernel = self._kernel
        dec = kernel.one
        limit = self.max_event_size
        bad_utf8 = not b.isascii() and not _utf8_valid(b, final=False)
        fast = not bad_utf8 and find(b"\r") < 0
        # where a bulk attempt may start: not in a small buffer, nor again inside a region that failed; never
        # under a max_event_size smaller than a region (bulk decoding does not look at single frames)
        bulk_from = 0 if fast and n >= _MIN_WINDOW and limit >= _WINDOW else n
        window = _WINDOW
        try:
            while pos < n:
                if fast and self._start < 0 and not self._skip:
                    if pos >= bulk_from and startswith(_FRAME_STARTS, pos):
                        end = _bulk_region(b, pos, window)
                        events = None
                        if end:
                            # A clean stream (full window) tries the region at once; once comments or
                            # [DONE] have cut a region short, look for the next one first (a failed
                            # attempt costs more than the search).
                            if window == _WINDOW:
                                events = _bulk(kernel, b, pos, end)
                            if events is None:
                                cut = _interruption(b, pos, end)
                                if cut > pos:  # stop there, and look less far next time
                                    window = max(_MIN_WINDOW, min(_WINDOW, 2 * (cut - pos)))
                                    end = cut
                                    events = _bulk(kernel, b, pos, end)
                                elif window < _WINDOW:
                                    events = _bulk(kernel, b, pos, end)
                        if events is not None:
                            self._out += events
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
                        if startswith(b"event:", pos):
                            pos = find(b"\n", pos) + 1
                            if not pos:
                                pos = start
                                break
                        if not startswith(b"data: ", pos):
                            pos = start
                            break
                        nl = find(b"\n", pos)
                        if nl < 0 or nl + 1 >= n or b[nl + 1] != 10 or nl - pos > limit:
                            pos = start
                            break
                        s = pos + 6
                        pos = nl + 2
                        try:
                            append(dec(view[s:nl], True))  # (valid UTF-8: checked for the whole chunk)
                        except DecodeError as err:
                            self._dispatch(view[s:nl], base + start, err)
                    if pos >= n:
                        break
                    if pos == start and pos >= bulk_from and startswith(_FRAME_STARTS, pos):
                        continue  # stopped at a frame start where a bulk attempt is due
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
                    if nxt == n and b[eol] == 13:
                        self._cr = True  # an LF starting the next chunk ends this same line
                line = b[pos:eol]
                start = pos
                pos = nxt
                self._line(line, base + start, bad_utf8=bad_utf8 and _utf8_error(line) is not None)
        except DecodeError:
            # strict mode: keep the bytes after the bad event for the next call, then raise
            self._resume = bytes(b[pos:])
            self._base = base + pos
            raise
        return pos

    def _line(self, line: bytes | bytearray, offset: int, *, bad_utf8: bool = False) -> None:
        """One complete line (without its line end), by the WHATWG field rules."""
        if not line:  # blank line: dispatch
            if self._skip:
                self._skip = False
            elif self._data:
                self._dispatch_pending()
            self._start = -1
            return
        if self._skip or line[0] == 58:  # inside an oversized event, or a `:` comment
            return
        colon = line.find(b":")
        if colon < 0:
            name, value = bytes(line), b""
        else:
            name = bytes(line[:colon])
            value = bytes(line[colon + 2 if line[colon + 1 : colon + 2] == b" " else colon + 1 :])
        if self._start < 0:
            self._start = offset
        if name == b"data":
            size = self._size + len(value) + (1 if self._data else 0)
            if size > self.max_event_size:
                head = self._head(b"data: " + value[:_KEEP_RAW])
                self._overflow(size, head, self._start)
                return
            self._size = size
            self._data.append(value)
            self._check_utf8 |= bad_utf8
        elif name == b"id":
            if b"\0" not in value:
                self.last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry":
            if value.isdigit():
                self.retry = int(value)
        # `event:` and unknown fields are ignored: the JSON `type` is what identifies an event.

    def _drop_partial_line(self, size: int, line: bytes | bytearray, line_at: int, consumed: int) -> None:
        """An unfinished line took the current event past max_event_size: report it and skip the rest of
        the line as it arrives. ``line`` starts ``line_at`` bytes after ``self._base``; ``consumed`` bytes
        of the stream are used up."""
        head = self._head(line)
        start = self._start if self._start >= 0 else self._base + line_at
        self._base += consumed
        self._midline = True
        self._overflow(size, head, start)

    def _head(self, partial: bytes | bytearray) -> bytes:
        """The first bytes of an oversized event's data (what is held, then the partial line), for its error."""
        parts, size = [], 0
        for part in self._data:
            if size >= _KEEP_RAW:
                break
            parts.append(part[:_KEEP_RAW])
            size += len(parts[-1]) + 1
        line = bytes(partial[: _KEEP_RAW + 6])
        if line.startswith(b"data:"):
            line = line[6:] if line.startswith(b"data: ") else line[5:]
        if line or not parts:
            parts.append(line)
        return b"\n".join(parts)[:_KEEP_RAW]

    def _dispatch_pending(self, *, truncated: bool = False) -> None:
        parts = self._data
        data = parts[0] if len(parts) == 1 else b"\n".join(parts)
        start, check = self._start, self._check_utf8
        self._reset_event()
        if check and (bad := _utf8_error(data)) is not None:
            self._fail(_utf8_decode_error(bad), data, start, truncated)
            return
        try:
            self._out.append(self._kernel.one(data, True))  # (valid UTF-8: no bad line, or checked above)
        except DecodeError as err:
            self._dispatch(data, start, err, truncated)

    def _dispatch(self, data: Any, offset: int, err: DecodeError, truncated: bool = False) -> None:
        """An event the kernel rejected: [DONE], empty data, or an invalid event."""
        raw = bytes(data)
        stripped = raw.strip(_JSON_WS)
        if stripped == _DONE:
            self._done_at = self._index + len(self._out)
            return
        if not stripped:  # an empty `data:` holds no event
            return
        self._fail(err, raw, offset, truncated)

    def _fail(self, err: DecodeError, raw: bytes, offset: int, truncated: bool = False) -> None:
        if truncated:
            err = DecodeError(f"stream ended inside an event: {err.msg}", path=err.path, pos=err.pos)
        self._reject(err, raw, offset)

    def _overflow(self, size: int, head: bytes, start: int) -> None:
        """The current event passed max_event_size: drop what is held, skip to its end, report it."""
        self._reset_event()
        self._skip = True
        err = DecodeError(f"event larger than max_event_size ({size} bytes > {self.max_event_size})")
        self._reject(err, head, start)

    def _reset_event(self) -> None:
        self._data = []
        self._size = 0
        self._start = -1
        self._check_utf8 = False

    def _reject(self, err: DecodeError, raw: bytes, offset: int) -> None:
        """Raise (strict) or keep in place (replace) a bad event; either way it takes the next index."""
        index = self._index + len(self._out)
        if self.errors == "strict":
            self._index += 1
        self._kernel.bad(err, raw, self.errors, self._out, index=index, offset=offset)

_MIN_WINDOW = 1 << 12  # the smallest bulk region (_WINDOW, shared with NDJSON, is the largest)


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
    return b.rfind(b"\n\n", p, pos + window) + 2 or p


def _interruption(b: bytes | bytearray, pos: int, end: int) -> int:
    """Start of the first comment or ``[DONE]`` frame in ``b[pos:end]`` (OpenRouter's usual
    interruptions of a run of frames), or -1."""
    # (the [DONE] needle ends in "\n", rarer in JSON than "]", so the search skips further)
    found = [m + 2 for m in (b.find(b"\n\n:", pos, end), b.find(b"\n\ndata: [DONE]\n", pos, end)) if m >= 0]
    return min(found) if found else -1


_FRAME_STARTS = (b"data: {", b"event:")  # where a bulk region may begin
_EVENT_SEP = re.compile(rb"}\n\nevent:[^\n]*\ndata: {")


def _bulk(kernel: Kernel, b: bytes | bytearray, pos: int, end: int) -> list[Any] | None:
    """Decode the frames in ``b[pos:end]`` with one msgspec ``decode_lines`` call, or None to go per event.

    Valid only when the region is exactly ``data: {...}\n\n`` frames (all of them, or none, after one
    ``event:`` line), each on one line. That is proved by counting: the region starts with ``data: {`` and
    ends with ``}\n\n``; replacing each ``}\n\ndata: {`` separator (with its ``event:`` line) by ``}\n{``
    leave a body that the kernel's ``bulk_lines`` proves to hold exactly one value per non-blank line; then
    ``n`` values for ``n - 1`` separators means the frames are those lines. Any failure (an unknown event,
    bad JSON) returns None: the per-event loop then finds and locates it.
    """
    if b[end - 3] != 125:  # "}"
        return None
    if b.startswith(b"data: {", pos):
        region = b[pos + 6 : end]
        body = region.replace(b"}\n\ndata: {", b"}\n{")
        seps = (len(region) - len(body)) // 7
    elif b.startswith(b"event:", pos):  # Open Responses servers: `event: <type>` before every data line
        first = b.find(b"\n", pos, end)
        if first < 0 or not b.startswith(b"data: {", first + 1):
            return None
        body, seps = _EVENT_SEP.subn(b"}\n{", b[first + 7 : end])
    else:
        return None
    events = kernel.bulk_lines(body, 0, len(body))
    return events if events is not None and len(events) == seps + 1 else None


@overload
def decode_sse(buf: Buffer, *, errors: Literal["strict"] = "strict") -> list[Event]: ...
@overload
def decode_sse(buf: Buffer, *, errors: Literal["replace"]) -> list[Event | InvalidEvent]: ...
@overload
def decode_sse(buf: Buffer, *, errors: str) -> list[Event | InvalidEvent]: ...
def decode_sse(buf: Buffer, *, errors: str = "strict") -> list[Any]:
    """Decode a whole SSE buffer (a captured stream or an SSE log holding many streams) to typed events.

    ``[DONE]`` markers and comments are skipped; errors follow :class:`SSEDecoder`.
    """
    return _decode_sse(_DEFAULT, buf, errors)


def _decode_sse(decoder: Decoder[Any], buf: Buffer, errors: str) -> list[Any]:
    dec: SSEDecoder[Any] = SSEDecoder(errors=errors, max_event_size=1 << 62, decoder=decoder)
    out = dec.feed(buf)
    return out + dec.close()


def _sse_decoder(decoder: Any, errors: str | None, max_event_size: int | None) -> SSEDecoder[Any]:
    """The SSEDecoder that iter_sse/aiter_sse use: ``decoder`` itself, or a new one (options applied)."""
    if isinstance(decoder, SSEDecoder):
        if errors is not None or max_event_size is not None:
            raise TypeError("errors/max_event_size cannot be applied to an existing SSEDecoder: set them on it")
        return decoder
    if decoder is not None and not isinstance(decoder, Decoder):
        raise TypeError(f"decoder must be an SSEDecoder or a Decoder, not {type(decoder).__name__}")
    return SSEDecoder(
        errors=errors if errors is not None else "strict",
        max_event_size=max_event_size if max_event_size is not None else DEFAULT_MAX_EVENT_SIZE,
        decoder=decoder,
    )


@overload
def iter_sse(chunks: Iterable[Buffer], *, decoder: SSEDecoder[T]) -> Iterator[T]: ...
@overload
def iter_sse(
    chunks: Iterable[Buffer], *, decoder: Decoder[E], errors: Literal["strict"] = "strict", max_event_size: int = ...
) -> Iterator[E | UnknownEvent]: ...
@overload
def iter_sse(
    chunks: Iterable[Buffer], *, decoder: Decoder[E], errors: Literal["replace"], max_event_size: int = ...
) -> Iterator[E | UnknownEvent | InvalidEvent]: ...
@overload
def iter_sse(
    chunks: Iterable[Buffer], *, decoder: None = None, errors: Literal["strict"] = "strict", max_event_size: int = ...
) -> Iterator[Event]: ...
@overload
def iter_sse(
    chunks: Iterable[Buffer], *, decoder: None = None, errors: Literal["replace"], max_event_size: int = ...
) -> Iterator[Event | InvalidEvent]: ...
@overload
def iter_sse(
    chunks: Iterable[Buffer], *, decoder: Decoder[Any] | None = None, errors: str, max_event_size: int = ...
) -> Iterator[Any]: ...
def iter_sse(
    chunks: Iterable[Buffer],
    *,
    decoder: SSEDecoder[Any] | Decoder[Any] | None = None,
    errors: str | None = None,
    max_event_size: int | None = None,
) -> Iterator[Any]:
    """Typed events from an iterable of byte chunks (``httpx.Response.iter_bytes()``, a file read in blocks).

    ``errors``/``max_event_size`` go to a new :class:`SSEDecoder`. ``decoder`` is either your own
    ``SSEDecoder`` (to read ``.done`` afterwards; options are then set on it, and passing them here is a
    TypeError) or a :class:`Decoder` (e.g. a projection) that decodes each event's data.
    """
    dec = _sse_decoder(decoder, errors, max_event_size)
    return _iter(dec, chunks)


def _iter(dec: SSEDecoder[Any], chunks: Iterable[Buffer]) -> Iterator[Any]:
    for chunk in chunks:
        yield from dec.feed(chunk)
    yield from dec.close()


@overload
def aiter_sse(chunks: AsyncIterable[Buffer], *, decoder: SSEDecoder[T]) -> AsyncIterator[T]: ...
@overload
def aiter_sse(
    chunks: AsyncIterable[Buffer],
    *,
    decoder: Decoder[E],
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
) -> AsyncIterator[E | UnknownEvent]: ...
@overload
def aiter_sse(
    chunks: AsyncIterable[Buffer], *, decoder: Decoder[E], errors: Literal["replace"], max_event_size: int = ...
) -> AsyncIterator[E | UnknownEvent | InvalidEvent]: ...
@overload
def aiter_sse(
    chunks: AsyncIterable[Buffer],
    *,
    decoder: None = None,
    errors: Literal["strict"] = "strict",
    max_event_size: int = ...,
) -> AsyncIterator[Event]: ...
@overload
def aiter_sse(
    chunks: AsyncIterable[Buffer], *, decoder: None = None, errors: Literal["replace"], max_event_size: int = ...
) -> AsyncIterator[Event | InvalidEvent]: ...
@overload
def aiter_sse(
    chunks: AsyncIterable[Buffer], *, decoder: Decoder[Any] | None = None, errors: str, max_event_size: int = ...
) -> AsyncIterator[Any]: ...
def aiter_sse(
    chunks: AsyncIterable[Buffer],
    *,
    decoder: SSEDecoder[Any] | Decoder[Any] | None = None,
    errors: str | None = None,
    max_event_size: int | None = None,
) -> AsyncIterator[Any]:
    """Async twin of :func:`iter_sse`, for ``httpx.Response.aiter_bytes()`` or aiohttp's ``iter_chunked``."""
    dec = _sse_decoder(decoder, errors, max_event_size)
    return _aiter(dec, chunks)


async def _aiter(dec: SSEDecoder[Any], chunks: AsyncIterable[Buffer]) -> AsyncIterator[Any]:
    async for chunk in chunks:
        for ev in dec.feed(chunk):
            yield ev
    for ev in dec.close():
        yield ev
