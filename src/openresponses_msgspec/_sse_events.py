"""SSE, part 2: the event assembler. Lines in, events out, by the WHATWG field rules.

:class:`Sink` holds what leaves the SSE decoder: the kernel that turns a payload into an event, the
strict/replace policy, the results not yet returned and their index, and where ``data: [DONE]`` came.
:class:`EventAssembler` applies the field rules to one complete line (``field``): ``data`` is appended to the
event's payload (bounded by ``max_event_size``), ``id`` (without NUL) and ``retry`` (ASCII digits only) are
kept, ``event`` and unknown fields are ignored, a comment is skipped, a blank line dispatches the event
(``dispatch``). At the end of the stream ``close`` reports an event cut before its blank line, or a body that
was never SSE. Nothing here looks for line ends: the line buffer and the scanner hand it whole lines.
"""

from __future__ import annotations

from typing import Any

from ._bytes import JSON_WS
from ._bytes import KEEP_RAW as KEEP_RAW
from ._errors import DecodeError

__all__ = ["DONE", "FIELD_LIMIT", "KEEP_RAW", "EventAssembler", "Sink", "check_id", "value_at"]

FIELD_LIMIT = 64 * 1024  # a line of a field other than data (id:, event:, retry:, unknown) longer than this is dropped
_RETRY_DIGITS = 18  # a longer retry: value is ignored (WHATWG ignores what it cannot use; Python's int() would raise)
DONE = b"[DONE]"


def value_at(b: bytes | bytearray, colon: int) -> int:
    """Where a field's value starts, given the position of its colon (one space after it is dropped)."""
    vs = colon + 1
    return vs + 1 if b[vs : vs + 1] == b" " else vs


def _name(b: bytes | bytearray, pos: int, eol: int) -> tuple[bytes, int]:
    """A field line's name and where its value starts. Known names have at most 5 bytes: a line is never
    searched further (it may be huge); a longer name is returned empty (an unknown field)."""
    colon = b.find(b":", pos, min(eol, pos + 6))
    if colon < 0:  # the whole line is the name, and the value is empty
        return (b"" if eol - pos > 5 else bytes(b[pos:eol])), eol
    return bytes(b[pos:colon]), value_at(b, colon)


def check_id(last_event_id: object) -> None:
    if not isinstance(last_event_id, str) or any(c in last_event_id for c in "\0\r\n"):
        raise ValueError(f"last_event_id must be a str without NUL, CR or LF, not {last_event_id!r}")


class Sink:
    """The results of one stream: ``kernel.one`` decodes a payload, ``bad`` applies the strict/replace policy,
    ``out`` holds the results not yet returned (``index``: the index of ``out[0]`` among dispatched events)."""

    __slots__ = ("kernel", "errors", "out", "index", "done_at")

    def __init__(self, kernel: Any, errors: str) -> None:
        self.kernel = kernel  # a Kernel, or a RawKernel for Framed results
        self.errors = errors
        self.out: list[Any] = []
        self.index = 0
        self.done_at = -1  # dispatched-event count when `data: [DONE]` last came

    @property
    def done(self) -> bool:
        return self.done_at == self.index + len(self.out)

    def take(self) -> list[Any]:
        out, self.out = self.out, []
        self.index += len(out)
        return out

    def failed(self, err: DecodeError, data: Any, offset: int, line: int) -> None:
        """A payload the kernel rejected: ``[DONE]``, empty data, or a bad event."""
        raw = bytes(data)
        stripped = raw.strip(JSON_WS)
        if stripped == DONE:
            self.done_at = self.index + len(self.out)
        elif stripped:  # (an empty `data:` holds no event)
            self.bad(err, raw, offset, line)

    def bad(self, err: DecodeError, raw: bytes, offset: int, line: int) -> None:
        """Raise (strict) or keep in place (replace) a bad event; either way it takes the next index."""
        index = self.index + len(self.out)
        try:
            self.kernel.bad(err, raw, self.errors, self.out, line=line, offset=offset, index=index)
        except DecodeError:
            self.index += 1
            raise


class EventAssembler:
    """The event being read: its data payload (``data``: the data lines joined by LF, ``None`` before the
    first), where it started (``start``: stream offset, -1 between events; ``start_line``), whether it is an
    oversized event being skipped to its blank line (``skip``); and what the stream said (``seen``: a line
    that only SSE has; ``event_id``: WHATWG's last event ID buffer; ``last_event_id``, ``retry``)."""

    __slots__ = ("sink", "limit", "data", "start", "start_line", "skip", "seen", "event_id", "last_event_id", "retry")

    def __init__(self, sink: Sink, limit: int, last_event_id: str) -> None:
        self.sink = sink
        self.limit = limit  # max_event_size
        self.data: bytearray | None = None
        self.start = -1
        self.start_line = 0
        self.skip = False
        self.seen = False  # a data/event/id/retry/comment line has come: the body is SSE
        self.event_id = last_event_id  # the last id: line, dispatched at a blank line
        self.last_event_id = last_event_id  # the id of the last dispatched event
        self.retry: int | None = None  # the last `retry:` field (milliseconds)

    def held(self) -> int:
        """Bytes the event's payload holds so far, with the LF a next data line would add."""
        data = self.data
        return 0 if data is None else len(data) + 1

    def begin(self, offset: int, lineno: int) -> None:
        """A line of an event at stream ``offset``, line ``lineno``: the event starts there unless it has."""
        if self.start < 0:
            self.start, self.start_line = offset, lineno

    def field(self, b: bytes | bytearray, pos: int, eol: int, offset: int, lineno: int) -> None:
        """The line ``b[pos:eol]`` (without its line end), at stream ``offset``, line number ``lineno``."""
        if pos == eol:
            self.dispatch()
            return
        if b[pos] == 58:  # a comment
            self.seen = True
            return
        if self.skip:  # inside an oversized event
            return
        if self.start < 0:
            self.start, self.start_line = offset, lineno
        if b.startswith(b"data:", pos):  # (the common field, first)
            self.seen = True
            self.add_data(b, value_at(b, pos + 4), eol)
            return
        name, vs = _name(b, pos, eol)
        if name == b"data":  # `data` with no colon: an empty value
            self.seen = True
            self.add_data(b, vs, eol)
        elif name in _NAMED:  # (`event` is ignored: the JSON `type` is what identifies an event)
            self.seen = True
            if name != b"event" and eol - vs <= FIELD_LIMIT:
                self._named(name, bytes(b[vs:eol]))

    def _named(self, name: bytes, value: bytes) -> None:
        """The value of an ``id`` or ``retry`` line: kept if it is one WHATWG keeps."""
        if name == b"id":
            if b"\0" not in value:
                self.event_id = value.decode("utf-8", "replace")
        elif name == b"retry" and len(value) <= _RETRY_DIGITS and value.isdigit():  # ASCII digits, for bytes
            self.retry = int(value)

    def add_data(self, b: bytes | bytearray, vs: int, eol: int) -> None:
        data = self.data
        if (0 if data is None else len(data) + 1) + eol - vs > self.limit:
            self.overflow(memoryview(b)[vs : vs + KEEP_RAW])
            return
        if data is None:
            self.data = bytearray(memoryview(b)[vs:eol] if eol - vs > 4096 else b[vs:eol])
            return
        data.append(10)
        data += memoryview(b)[vs:eol] if eol - vs > 4096 else b[vs:eol]

    def adopt(self, line: bytearray, offset: int, lineno: int) -> None:
        """A line completed from the line buffer's bytearray (which nobody else holds): the first data line of
        an event becomes its payload without a copy; any other line goes by the field rules."""
        if self.data is not None or self.skip or not line.startswith(b"data") or (len(line) > 4 and line[4] != 58):
            self.field(line, 0, len(line), offset, lineno)
            return
        vs = value_at(line, 4)
        if self.start < 0:
            self.start, self.start_line = offset, lineno
        self.seen = True
        if len(line) - vs > self.limit:
            self.overflow(line[vs:])
            return
        del line[:vs]  # O(1): bytearray moves its start
        self.data = line

    def overflow(self, more: Any) -> None:
        """The current event's data passed max_event_size with ``more`` (the start of the line that did it):
        drop what is held, skip to its end, report it with the first bytes of its data."""
        keep = min(KEEP_RAW, self.limit + 1)  # the same bytes whole or chunked: always known
        data = self.data
        head = b"" if data is None else bytes(data[:keep])
        if len(head) < keep:
            head = (head + b"\n" if data is not None else head) + bytes(more[: keep - len(head)])
        start, line = self.start, self.start_line
        self.reset()
        self.skip = True
        err = DecodeError(f"event larger than max_event_size (data > {self.limit} bytes)")
        self.sink.bad(err, head[:keep], start, line)

    def dispatch(self) -> None:
        """A blank line: the event is complete."""
        self.last_event_id = self.event_id
        data = self.data
        if data is None:  # no data (or the end of an oversized event): no event
            self.skip = False
            self.start = -1
            return
        start, line = self.start, self.start_line
        self.data, self.start, self.skip = None, -1, False  # (reset, inline: once per event)
        sink = self.sink
        try:
            sink.out.append(sink.kernel.one(data))
        except DecodeError as err:
            sink.failed(err, data, start, line)

    def reset(self) -> None:
        self.data = None
        self.start = -1
        self.skip = False

    def last_line(self, tail: bytes | bytearray, offset: int, lineno: int) -> None:
        """The stream ended inside the line ``tail`` (no line end after it): a data line still belongs to the
        cut event; any field line still tells that the body is SSE."""
        if self.skip:
            return
        if tail.startswith((b"data:", b"event:", b"id:", b"retry:")) or bytes(tail) in (b"data", b"event", b"id"):
            self.seen = True
        if tail.startswith(b"data") and (len(tail) == 4 or tail[4] == 58):
            self.begin(offset, lineno)
            self.add_data(tail, value_at(tail, 4), len(tail))

    def close(self, head: bytes) -> None:
        """End of stream: report a body that was never SSE (``head``: its first bytes) or an event cut before
        its blank line; ``[DONE]`` without its blank line still ends the stream."""
        sink = self.sink
        if not self.seen:
            err = DecodeError("not an SSE stream: no data:, event:, id:, retry: or comment line in it")
            self.reset()
            sink.bad(err, head, 0, 1)
            return
        data = self.data
        if data is None or self.skip:
            return
        raw, start, line = bytes(data), self.start, self.start_line
        self.reset()
        stripped = raw.strip(JSON_WS)
        if stripped == DONE:  # the marker says the stream is complete, blank line or not
            sink.done_at = sink.index + len(sink.out)
        elif stripped:
            sink.bad(DecodeError("stream ended inside an event (no blank line after its data)"), raw, start, line)


_NAMED = (b"id", b"retry", b"event")
