"""SSE, part 1: the line buffer. Chunks in, regions of complete lines out.

A chunk rarely ends at a line end. :class:`LineBuffer` finishes what the previous chunk left
(``start_chunk``): a BOM split across chunks (skipped once, at the stream's start), a CR at a chunk's end
whose LF starts the next one (one CRLF line end), the rest of a line being discarded (a comment, or a line
past a limit: found to its end, never held), or the partial line waiting in a bytearray, which it completes
and hands to the event assembler. What it returns is where the chunk's complete lines start: the scanner
takes the region from there. What follows the last line end waits for the next chunk (``keep_tail``),
unless it is a comment or passes a limit. A strict error leaves the unread rest of a chunk in ``queue``
(owned bytes, never copied again or rescanned), which the SSE decoder drains first at its next call.
"""

from __future__ import annotations

from codecs import utf_8_decode as _utf_8_decode
from collections import deque

from . import _scan
from ._bytes import BOM
from ._errors import DecodeError
from ._kernel import Buffer
from ._sse_events import FIELD_LIMIT, KEEP_RAW, EventAssembler, value_at

__all__ = ["NO_CR", "UTF8", "LineBuffer", "Pending", "chunk_bytes", "chunk_flags", "count_eols", "first_eol", "own"]

NO_CR = 1  # chunk flag: no CR in it (line ends are LF: find(b"\n") and the frame loop apply)
UTF8 = 2  # chunk flag: valid UTF-8 (payloads need no check; bulk decoding may run)
_SMALL = 1 << 16  # a chunk up to this size is checked for UTF-8 in one call (a bigger one in windows)

Pending = tuple[bytes, int, int, "int | None", int]
"""A rest of input left by a strict error: (bytes, position, stream offset of bytes[0], flags or None for
a chunk not started yet, where a bulk attempt may start)."""


class LineBuffer:
    """Chunk boundaries, and the line count. ``lines``: line ends processed so far (CR, LF and CRLF each end
    a line); ``received``: the stream offset of the next chunk."""

    __slots__ = ("events", "received", "lines", "buf", "buf_at", "discard", "cr", "bom", "queue")

    def __init__(self, events: EventAssembler) -> None:
        self.events = events
        self.received = 0
        self.lines = 0
        self.buf = bytearray()  # an incomplete line, waiting for the chunk that ends it
        self.buf_at = 0  # its stream offset
        self.discard = False  # discarding the rest of a line (a comment, an over-long or oversized line)
        self.cr = False  # the last byte processed was a CR line end: an LF right after it belongs to it
        self.bom: bytes | None = b""  # the stream's first bytes while they may be a BOM; None once decided
        self.queue: deque[Pending] = deque()  # input left by a strict error

    def start_chunk(self, data: bytes | bytearray, base: int) -> int:
        """Finish what the previous chunk left; return where the complete lines of ``data`` (at stream offset
        ``base``) start, or -1 when the whole chunk was used up."""
        pos = 0
        n = len(data)
        if self.bom is not None:
            pos = self._skip_bom(data)
            if pos < 0 or pos >= n:
                return -1
        if self.cr:
            self.cr = False
            if data[pos] == 10:  # the LF of a CRLF split across chunks
                pos += 1
                if pos >= n:
                    return -1
        if self.discard:
            pos = self._end_discard(data, pos)
        elif self.buf:
            pos = self._finish_line(data, pos, base)
        return pos if pos < n else -1

    def _end_discard(self, data: bytes | bytearray, pos: int) -> int:
        """The rest of a line not kept (a comment, a line past a limit) goes on in ``data[pos:]``: where it
        ends, or ``len(data)``; nothing of it is held."""
        eol, nxt = first_eol(data, pos)
        if eol < 0:
            return len(data)
        self.discard = False
        self.lines += 1
        self.cr = nxt == len(data) and data[eol] == 13 and nxt - eol == 1
        return nxt

    def _finish_line(self, data: bytes | bytearray, pos: int, base: int) -> int:
        """The line waiting in ``buf`` goes on in ``data[pos:]``: hand it to the event assembler (and its
        event's blank line right after it, if there); return where the next line starts, or ``len(data)``
        when the line does not end in ``data``."""
        n = len(data)
        eol = data.find(b"\n", pos)
        if data.find(b"\r", pos, eol if eol >= 0 else n) >= 0:  # (a CR line end, or the CR of a CRLF)
            eol, nxt = first_eol(data, pos)
        else:
            nxt = eol + 1
        if eol < 0:
            self._grow(data, pos)
            return n
        self.lines += 1
        self.cr = nxt == n and data[eol] == 13 and nxt - eol == 1
        buf, self.buf = self.buf, bytearray()
        buf += memoryview(data)[pos:eol]
        try:
            self.events.adopt(buf, self.buf_at, self.lines)
            if data[nxt : nxt + 1] == b"\n":  # its event's blank line (a chunk cut the event's last line)
                nxt += 1
                self.lines += 1
                self.events.dispatch()
        except DecodeError:
            if nxt < n:
                self.queue.appendleft((own(data), nxt, base, chunk_flags(data, nxt), 0))
            raise
        return nxt

    def _skip_bom(self, data: bytes | bytearray) -> int:
        """The stream's first bytes: skip a BOM (once, maybe split across chunks); -1 while too short to tell."""
        bom = self.bom or b""
        head = bom + bytes(data[:3])
        if len(head) < 3 and BOM.startswith(head):
            self.bom = head
            return -1
        self.bom = None
        if head.startswith(BOM):
            return 3 - len(bom)
        if bom:  # one or two bytes that were not a BOM after all: the start of the first line
            self.buf, self.buf_at = bytearray(bom), 0
        return 0

    def _grow(self, data: bytes | bytearray, pos: int) -> None:
        """``data[pos:]`` continues the waiting line: keep it, unless that passes a limit."""
        buf = self.buf
        more = len(data) - pos
        head = bytes(buf) + bytes(data[pos : pos + 6]) if len(buf) < 6 else bytes(buf[:6])
        if head.startswith(b"data:"):
            vs = value_at(head, 4)
            if self.events.held() + len(buf) + more - vs > self.events.limit:
                self.buf = bytearray()
                self.discard = True
                head = bytes(buf[: KEEP_RAW + 6]) + bytes(data[pos : pos + KEEP_RAW + 6])  # (never all of buf)
                self._overflow_line(head, vs, self.buf_at)
                return
        elif len(buf) + more > FIELD_LIMIT:
            self.buf = bytearray()
            self._drop_line(head, self.buf_at)
            return
        buf += memoryview(data)[pos:]

    def keep_tail(self, data: bytes | bytearray, pos: int, base: int) -> None:
        """``data[pos:]`` is the start of a line the next chunk ends: keep it, or discard it as it comes."""
        events = self.events
        c = data[pos]
        if c == 58 or events.skip:  # a comment, or a line of an oversized event
            events.seen |= c == 58
            self.discard = True
            return
        more = len(data) - pos
        if data.startswith(b"data:", pos):
            vs = value_at(data, pos + 4) - pos
            held = events.data
            if (0 if held is None else len(held) + 1) + more - vs > events.limit:
                self.discard = True
                self._overflow_line(bytes(data[pos : pos + KEEP_RAW + 6]), vs, base + pos)
                return
        elif more > FIELD_LIMIT:
            self._drop_line(bytes(data[pos : pos + 6]), base + pos)
            return
        self.buf = bytearray(memoryview(data)[pos:])
        self.buf_at = base + pos

    def _drop_line(self, head: bytes, offset: int) -> None:
        """An unfinished line of a field other than data passed FIELD_LIMIT: ignore it, as a whole line
        that long is (it still starts an event, and still tells that the body is SSE)."""
        self.discard = True
        if head.startswith((b"id:", b"event:", b"retry:")):
            self.events.seen = True
        self.events.begin(offset, self.lines + 1)

    def _overflow_line(self, line: bytes, vs: int, offset: int) -> None:
        """An unfinished data line took its event past max_event_size."""
        events = self.events
        events.seen = True
        events.begin(offset, self.lines + 1)
        events.overflow(line[vs:])

    def stopped(self, b: bytes | bytearray, pos: int, lines: int, base: int, flags: int, bulk_from: int) -> None:
        """A strict error stopped the reading of ``b`` at ``pos``: the rest is read first at the next call."""
        self.lines = lines
        if pos < len(b):
            self.queue.appendleft((own(b), pos, base, flags, bulk_from))

    def close(self) -> None:
        """End of stream: a line left without its line end goes to the event assembler."""
        if self.bom:  # the whole stream was one or two bytes of a BOM's start
            self.buf, self.buf_at, self.bom = bytearray(self.bom), 0, None
        tail, self.buf = self.buf, bytearray()
        if tail:
            self.events.last_line(tail, self.buf_at, self.lines + 1)


def first_eol(b: bytes | bytearray, pos: int) -> tuple[int, int]:
    """(start, end) of the first line end (CR, LF or CRLF) at or after ``pos``, or (-1, -1)."""
    lf = b.find(b"\n", pos)
    cr = b.find(b"\r", pos, lf if lf >= 0 else len(b))
    if cr >= 0:
        return cr, cr + 2 if cr + 1 == lf else cr + 1
    return (lf, lf + 1) if lf >= 0 else (-1, -1)


def count_eols(b: bytes | bytearray, pos: int, end: int, no_cr: bool) -> int:
    """Line ends (CR, LF or CRLF) in ``b[pos:end]``."""
    if no_cr:
        return b.count(b"\n", pos, end)
    return b.count(b"\n", pos, end) + b.count(b"\r", pos, end) - b.count(b"\r\n", pos, end)


def own(b: bytes | bytearray) -> bytes:
    """Bytes the caller cannot change any more (kept across calls after a strict error)."""
    return b if isinstance(b, bytes) else bytes(b)


def chunk_bytes(chunk: Buffer) -> bytes | bytearray:
    if isinstance(chunk, (bytes, bytearray)):
        return chunk
    if isinstance(chunk, memoryview):
        return chunk.tobytes()
    if isinstance(chunk, str):
        # A lone surrogate cannot be UTF-8: keep it as the (invalid) bytes it would be, so that only the
        # event holding it fails, and the framing of the rest of the stream is untouched.
        return chunk.encode("utf-8", "surrogatepass")
    raise TypeError(f"expected bytes, bytearray, memoryview or str, not {type(chunk).__name__}")


def chunk_flags(b: bytes | bytearray, pos: int) -> int:
    """What holds for ``b[pos:]`` (whose end may cut a UTF-8 sequence): NO_CR, UTF8. Computed once per
    chunk, kept with it when a strict error leaves a rest."""
    flags = NO_CR if b.find(b"\r", pos) < 0 else 0
    # (the C check is one fast pass; without it, isascii() first spares the codec an ASCII buffer)
    if not _scan.NATIVE and b.isascii():
        return flags | UTF8
    if _scan.NATIVE or len(b) - pos > _SMALL:
        return flags | UTF8 if _scan.utf8_valid(b, pos, len(b), False) else flags
    try:  # (a small chunk, as a live stream's: one call)
        _utf_8_decode(memoryview(b)[pos:], "strict", False)
    except UnicodeDecodeError:
        return flags
    return flags | UTF8
