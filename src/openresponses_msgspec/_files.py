"""Events from files and streams of any size: NDJSON, SSE or JSON arrays, plain or gzip, in bounded memory.

The input is read in blocks (:data:`BLOCK_SIZE`); each block is cut at a boundary its format allows (the
last newline for NDJSON, a comma between elements for an array; SSE blocks go to an incremental
:class:`SSEDecoder`), decoded by the same batch decoders as in-memory data, and errors are moved from
block-relative to file-absolute coordinates (line, byte offset, element index). Memory stays at a few blocks
plus the batch being handed out, whatever the file's size; a line longer than a block is buffered up to
``max_line_size`` (then skipped as it arrives), an array element or SSE event longer than a block whole
(SSE: up to ``max_event_size``). Every path is linear in the input: see :func:`_sniff` (detection),
:func:`_gunzip` (gzip errors), :class:`_Long` (the line limit) and :class:`_Scan` (arrays).
"""

from __future__ import annotations

import io
import mmap
import os
import re
import select
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from operator import itemgetter
from typing import IO, Any, Literal, TypeVar, cast, overload

import msgspec

from ._array import ElementLocator
from ._bytes import BOM as _BOM
from ._bytes import BYTE_POS as _BYTE
from ._bytes import DEFAULT_MAX_LINE_SIZE, KEEP_RAW, RAW_ARRAY, count_newlines, is_blank
from ._bytes import JSON_WS as _WS
from ._bytes import JSON_WS_SET as _WS_SET
from ._decoder import Decoder, Event, decode_array, decode_lines
from ._errors import DecodeError, InvalidEvent, UnknownEvent
from ._kernel import Framed, check_errors
from ._ndjson import check_line_size, too_long
from ._sse import SSEDecoder

__all__ = ["BLOCK_SIZE", "Format", "Source", "detect_format", "iter_batches", "iter_events"]

T = TypeVar("T")
Format = Literal["ndjson", "sse", "array"]
#: A path (``str``/``os.PathLike``; ``"-"`` is stdin), a binary file object, or a buffer holding the data
#: itself (``bytes``, ``bytearray``, ``memoryview``, ``mmap``: read in place, never copied whole).
Source = str | os.PathLike[str] | IO[bytes] | bytes | bytearray | memoryview | mmap.mmap

BLOCK_SIZE = 1 << 20  # bytes read (or sliced) at a time
_SSE_FEED = 4 << 20  # bytes per SSEDecoder.feed call
_BATCH_BYTES = 1 << 20  # a batch is handed out once it holds this much input, whatever batch_size says
_GZIP_MAGIC = b"\x1f\x8b"
_WS_BYTES = (b" ", b"\t", b"\r", b"\n")
_PAD = b"\0 \t\r\n"  # what may follow a gzip member (see _gunzip)
_GZ_FEED = 1 << 16  # compressed bytes per decompress call, at most ...
_GZ_OUT = 1 << 18  # ... and uncompressed bytes out of it (zlib keeps back a failing call's output)
_LFS = b"\n" * (1 << 18)
_HOLD = 4 * BLOCK_SIZE  # blank bytes before the first non-blank one held as read; a longer run is summarised
_Parts = Iterator[tuple[list[Any], int]]  # decoded events, and the input bytes they came from


def _check(format: str | None, errors: str, batch_size: int) -> None:
    if format not in (None, "ndjson", "sse", "array"):
        raise ValueError(f"format must be 'ndjson', 'sse', 'array' or None, not {format!r}")
    check_errors(errors)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")


# -- bytes in ------------------------------------------------------------------------------------------------


def _text_mode(f: Any) -> TypeError:
    return TypeError(
        f"source is a text-mode file object ({type(f).__name__}): events are read as bytes; open the file "
        "with 'rb' (or pass its .buffer)"
    )


def _file_blocks(f: Any, size: int) -> Iterator[bytes]:
    """Blocks from a binary file object as they arrive. A non-blocking file (a pipe or socket with O_NONBLOCK)
    that has nothing to read yet (``read1()``/``read()`` give ``None``, or ``b""`` from a buffered reader whose
    descriptor is non-blocking) is waited for: only a read after the descriptor polled readable ends it."""
    if isinstance(f, io.TextIOBase):
        raise _text_mode(f)
    read = getattr(f, "read1", None) or f.read  # read1: what a pipe has now, without waiting for a full block
    fd = _nonblocking_fd(f)
    waited = 0.0  # seconds slept so far waiting on a file that has no descriptor to poll (backoff)
    polled = False  # the descriptor polled readable since the last read
    while True:
        b = read(size)
        if not b:
            if isinstance(b, str):
                raise _text_mode(f)
            if b is not None and (fd is None or polled):  # (b"" from a readable descriptor: the end)
                return
            if fd is not None:
                try:
                    select.select([fd], [], [])
                    polled = True
                    continue
                except (OSError, ValueError):  # (a descriptor select cannot watch: poll by sleeping)
                    fd = None
            else:
                waited = min(0.05, waited * 2 or 0.001)
                time.sleep(waited)
            continue
        if isinstance(b, str):
            raise _text_mode(f)
        polled, waited = False, 0.0
        yield b if type(b) is bytes else bytes(b)


def _nonblocking_fd(f: Any) -> int | None:
    """The descriptor under ``f`` if it is in non-blocking mode (then an empty read may mean "not yet")."""
    try:
        fd = f.fileno()
        return None if os.get_blocking(fd) else fd
    except (AttributeError, OSError, ValueError):  # (io.UnsupportedOperation is both)
        return None


def _buffer_blocks(buf: Any, size: int) -> Iterator[bytes]:
    view = memoryview(buf).cast("B")  # the buffer is read in place: one block at a time is copied out
    for i in range(0, len(view), size):
        yield bytes(view[i : i + size])


def _raw_blocks(source: Any, size: int, opened: list[Any]) -> Iterator[Any]:
    if isinstance(source, (str, os.PathLike)):
        if source == "-":
            return _file_blocks(sys.stdin.buffer, size)
        f = open(cast("str | os.PathLike[str]", source), "rb")
        opened.append(f)
        return _file_blocks(f, size)
    if hasattr(source, "read"):
        return _file_blocks(source, size)
    try:
        memoryview(source)
    except TypeError:
        raise TypeError(
            f"source must be a path, '-', a binary file object or a buffer, not {type(source).__name__}"
        ) from None
    return _buffer_blocks(source, size)


class _Corrupt(Exception):
    """A gzip stream that cannot be read on: its DecodeError, raised after the events decoded before it."""

    def __init__(self, error: DecodeError) -> None:
        super().__init__(error)
        self.error = error


def _corrupt(what: str, compressed: int, uncompressed: int) -> _Corrupt:
    return _Corrupt(
        DecodeError(
            f"gzip data {what}: compressed byte {compressed}, uncompressed byte {uncompressed}", offset=uncompressed
        )
    )


def _gunzip(blocks: Iterator[Any], size: int) -> Iterator[bytes]:
    """Decompress gzip (several members in a row too) into blocks of about ``size`` bytes.

    Between and after members, NUL bytes (tape-block padding: gzip(1) ignores it with a warning, Python's
    ``gzip`` silently) and JSON whitespace are ignored. Anything else (bytes after a member that do not start
    another, a bad header, a corrupt block, a bad CRC or length, a cut member) raises :class:`DecodeError` with
    the compressed and uncompressed offsets reached (``.offset``: the uncompressed one), after the output
    before it. zlib is called on at most ``_GZ_FEED`` bytes in, ``_GZ_OUT`` out, so an error is located that
    closely.
    """
    d: Any = None  # the current member's decompressor (None between members)
    done = 0  # compressed bytes consumed
    out_n = 0  # uncompressed bytes produced
    outs: list[bytes] = []  # produced, not yet handed out
    held = 0
    tail = b""  # one byte that may start another member's magic, waiting for the next block
    try:
        for block in blocks:
            data = tail + block if tail else block
            tail = b""
            view = memoryview(data)
            pos = 0
            while pos < len(data):
                if d is None:
                    skip = len(data) - pos - len(data[pos:].lstrip(_PAD)) if data[pos] in _PAD else 0
                    done += skip
                    pos += skip
                    if pos >= len(data):
                        break
                    if pos + 1 == len(data) and data[pos] == 0x1F:
                        tail = data[pos:]
                        break
                    if data[pos : pos + 2] != _GZIP_MAGIC:
                        raise _corrupt("is followed by bytes that are not another member", done, out_n)
                    d = zlib.decompressobj(31)
                piece = view[pos : pos + _GZ_FEED]
                try:
                    out = d.decompress(piece, _GZ_OUT)
                except zlib.error as exc:
                    why = str(exc.args[0]).removeprefix("Error -3 while decompressing data: ")
                    raise _corrupt(f"is corrupt ({why})", done, out_n) from None
                used = len(piece) - len(d.unused_data if d.eof else d.unconsumed_tail)
                done += used
                pos += used
                if d.eof:
                    d = None
                if out:
                    out_n += len(out)
                    outs.append(out)
                    held += len(out)
                    if held >= size:
                        yield b"".join(outs) if len(outs) > 1 else outs[0]
                        outs, held = [], 0
        if d is not None or tail:
            raise _corrupt("ends early (truncated file)", done, out_n)
    except _Corrupt:
        if outs:  # what came out before the error first
            yield b"".join(outs)
        raise
    if outs:
        yield b"".join(outs)


def _blocks(source: Any, size: int, opened: list[Any], format: str | None) -> tuple[Iterator[Any], str]:
    """Blocks of (decompressed) input, and its format: ``format``, or detected from the first non-blank byte."""
    raw = _raw_blocks(source, size, opened)
    first = b""
    for b in raw:  # the gzip magic's two bytes, however the reads arrive
        first += b
        if len(first) >= 2:
            break
    if not first:
        return iter(()), format or "ndjson"
    blocks: Iterator[Any] = _chain(first, raw)
    if first[:2] == _GZIP_MAGIC:
        blocks = _gunzip(blocks, size)
    bom, blocks = _lead(blocks)
    fmt = format
    if fmt is None:
        blocks, fmt = _sniff(blocks)
    return (_chain(_BOM, blocks) if bom else blocks), fmt


def _lead(blocks: Iterator[Any]) -> tuple[bool, Iterator[Any]]:
    """Whether the input starts with a UTF-8 BOM (however the reads arrive), and the blocks after it. The BOM
    is then handed to the framer as a block of its own."""
    head = b""
    for b in blocks:
        head += b
        if len(head) >= 3 or not _BOM.startswith(head):
            break
    if head.startswith(_BOM):
        return True, _chain(head[3:], blocks)
    return False, _chain(head, blocks)


def _lead_end(b: bytes, bom: bool) -> tuple[int, bool, bytes]:
    """In ``b``, read from the start of the input on: the index of the first byte that is neither blank nor
    (when ``bom`` is false) a UTF-8 BOM; -1 if there is none. Also whether a BOM was met, and the bytes of a
    BOM ``b`` ends in the middle of (to be completed by the next block). The files layer passes ``bom=True``:
    a BOM counts only at the very start (:func:`_lead` strips it), as in the in-memory decoders."""
    i = 0
    n = len(b)
    while True:
        if b[i : i + 1] in _WS_BYTES:  # the first non-blank byte: found by a table, not a byte loop
            rest = (b[i:] if i else b).translate(None, _WS)
            i = b.find(rest[:1], i) if rest else n
        if i >= n:
            return -1, bom, b""
        if bom or b[i] != 0xEF:
            return i, bom, b""
        if b.startswith(_BOM, i):
            bom, i = True, i + 3
            continue
        if _BOM.startswith(b[i:]):
            return -1, bom, bytes(b[i:])
        return i, bom, b""


def _sniff(blocks: Iterator[Any], bom_seen: bool = True) -> tuple[Iterator[Any], str]:
    """The format from the first non-blank byte, however far it is, and blocks replaying all that was read.
    Blank blocks read on the way are held as they are up to ``_HOLD`` bytes; a longer blank run is replayed
    from its :class:`_Blank` summary (same length, same line ends where they matter), in bounded memory."""
    held: list[Any] | None = []
    size = 0
    blank = _Blank()
    bom = bom_seen
    pend = b""  # the first bytes of what may be a BOM, at the end of the last block
    for block in blocks:
        if pend:
            i, bom, part = _lead_end(pend + block, bom)
            rest = (pend + block)[i : i + 1] if i >= 0 else b""
            pend = part
        elif block[0] not in _WS_SET and (bom or block[0] != 0xEF):
            rest = block[:1]
        elif _all_lf(block):  # blank (empty lines by memcmp)
            rest = b""
        else:
            i, bom, pend = _lead_end(block, bom)
            rest = block[i : i + 1] if i >= 0 else b""
        if not rest:
            blank.add(block)
            if held is not None:
                held.append(block)
                size += len(block)
                if size > _HOLD:
                    held = None
            continue
        fmt = detect_format(rest[:1])
        return _chain(blank.replay(fmt) if held is None else iter(held), block, blocks), fmt
    return (blank.replay("ndjson") if held is None else iter(held)), "ndjson"


def _all_lf(b: bytes) -> bool:
    return all(b.startswith(_LFS[: len(b) - i], i) for i in range(0, len(b), len(_LFS)))


class _Blank:
    """A run of blank bytes (space, tab, CR, LF) at the start of the input, as the framers see it: its length,
    and its line ends as NDJSON counts them (LF) and as SSE does (CR, LF, CRLF): how many, and where the last
    one is. :meth:`replay` gives blank bytes with the same summary for one format."""

    __slots__ = ("size", "lfs", "last_lf", "eols", "last_eol", "cr_end")

    def __init__(self) -> None:
        self.size = 0
        self.lfs = self.eols = 0
        self.last_lf = self.last_eol = -1
        self.cr_end = False  # the run ends with CR (an LF right after it makes one SSE line end with it)

    def add(self, b: bytes) -> None:
        lf = _newlines(b)
        eols = lf
        if lf:
            self.lfs += lf
            self.last_lf = self.size + b.rfind(b"\n")
        if b"\r" in b:
            eols += len(b) - len(b.replace(b"\r", b"")) - b.count(b"\r\n")
            self.last_eol = self.size + max(b.rfind(b"\r"), b.rfind(b"\n"))
        elif lf:
            self.last_eol = self.last_lf
        if self.cr_end and b[0] == 10:  # the CR that ended the previous block and this LF: one SSE line end
            eols -= 1
        self.eols += eols
        self.cr_end = b[-1] == 13
        self.size += len(b)

    def replay(self, fmt: str) -> Iterator[bytes]:
        if fmt == "sse":
            count, last, end = self.eols, self.last_eol, b"\r" if self.cr_end else b"\n"
        else:
            count, last, end = self.lfs, self.last_lf, b"\n"
        if count:
            yield from _repeat(b" ", last + 1 - count)
            yield from _repeat(b"\n", count - 1)
            yield end
        yield from _repeat(b" ", self.size - last - 1)


def _repeat(byte: bytes, n: int) -> Iterator[bytes]:
    full = byte * min(n, BLOCK_SIZE)
    while n >= len(full) > 0:
        yield full
        n -= len(full)
    if n > 0:
        yield full[:n]


def _chain(*parts: Any) -> Iterator[Any]:
    for p in parts:
        if isinstance(p, (bytes, bytearray, memoryview)):
            if p:
                yield p
        else:
            yield from p


def detect_format(head: bytes) -> Format:
    """The format of data starting with ``head``: after a UTF-8 BOM and blank bytes (space, tab, CR, LF), the
    first byte decides: ``[`` ``"array"``, ``{`` ``"ndjson"``, any other ``"sse"``; no such byte: ``"ndjson"``."""
    s = head.removeprefix(_BOM).lstrip(_WS)
    if s.startswith(b"["):
        return "array"
    if s.startswith(b"{") or not s:
        return "ndjson"
    return "sse"


# -- framing -------------------------------------------------------------------------------------------------


def _relocate(events: list[Any], line: int, offset: int, index: int) -> None:
    """Block-relative InvalidEvents (``errors="replace"``) to file coordinates, in place (also inside
    ``raw=True``'s Framed pairs)."""
    if not _has_invalid(events):
        return
    for k, ev in enumerate(events):
        # (pyright: the event of a Framed[Unknown]; a cast per event would cost a call)
        bad = ev.event if type(ev) is Framed else ev  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if type(bad) is InvalidEvent:  # pyright: ignore[reportUnknownArgumentType]
            moved = bad.shifted(line, offset, index)
            events[k] = Framed(moved, ev.raw) if bad is not ev else moved


def _has_invalid(events: list[Any]) -> bool:
    if events and type(events[0]) is Framed:  # raw=True
        return InvalidEvent in set(map(type, map(itemgetter(0), events)))
    return InvalidEvent in set(map(type, events))  # hashing types: several times cheaper than `in map(...)`


def _framed(events: list[Any]) -> list[Any]:
    """InvalidEvents made here (an over-long line) as raw=True returns them: beside the bytes they keep."""
    return [Framed(ev, ev.raw) for ev in events]


def _newlines(data: bytes | bytearray | memoryview) -> int:
    """``b.count(b"\\n")``, fast either way: where lines are long (sampled per 256 KiB), by deleting them
    (memchr and memcpy: ten times a byte loop); where they are short (blank runs), by the byte loop, which
    deleting would lose to by 20 times."""
    b = data if isinstance(data, bytes) else bytes(data)
    n = len(b)
    if n <= 4096:
        return b.count(b"\n")
    total = 0
    for i in range(0, n, 1 << 18):
        j = min(n, i + (1 << 18))
        if b.count(b"\n", i, i + 2048) < 16:
            total += count_newlines(b, i, j)
        elif b.startswith(_LFS[: j - i], i):  # a run of empty lines: one memcmp
            total += j - i
        else:
            total += b.count(b"\n", i, j)
    return total


class _Long:
    """An NDJSON line past ``max_line_size`` in a file, skipped as its bytes arrive: only its first bytes are
    kept. A blank one is skipped silently (as every blank line is); strict mode raises once it is known not
    to be blank, replace mode reports it as an :class:`InvalidEvent` at its end."""

    __slots__ = ("head", "size", "blank", "line", "offset", "limit", "errors")

    def __init__(
        self, held: bytearray, block: bytes, pos: int, line: int, offset: int, limit: int, errors: str
    ) -> None:
        keep = min(KEEP_RAW, limit + 1)
        self.head = bytes(held[:keep]) + block[pos : pos + keep - min(keep, len(held))]
        self.size = 0
        self.blank = True
        self.line, self.offset, self.limit, self.errors = line, offset, limit, errors
        self.add(held, 0, len(held))
        self.add(block, pos, len(block))

    def add(self, b: Any, start: int, end: int) -> None:
        self.size += end - start
        if self.blank and end > start and not is_blank(b, start, end):
            self.blank = False
            if self.errors == "strict":
                raise self.error()

    def error(self) -> DecodeError:
        return too_long(self.limit).relocated(line=self.line, offset=self.offset, raw=self.head)

    def report(self) -> list[Any]:
        if self.blank:
            return []
        return [InvalidEvent(self.error(), self.head, line=self.line, offset=self.offset)]


def _ndjson(
    blocks: Iterator[bytes],
    errors: str,
    lines_fn: Callable[..., list[Any]],
    limit: int = DEFAULT_MAX_LINE_SIZE,
    raw: bool = False,
) -> _Parts:
    """NDJSON: each block cut after its last LF; a line not yet ended waits for the block that ends it, up to
    ``limit`` bytes: past that it is skipped as it arrives (:class:`_Long`), never held."""
    pending = bytearray()  # a line not yet ended (at most `limit` bytes)
    line = offset = 0  # newlines and bytes before the data being decoded (or before `pending`)
    long: _Long | None = None

    def run(data: bytes) -> tuple[list[Any], int]:
        nonlocal line, offset
        shift = 1 if offset and data.startswith(_BOM) else 0  # (a BOM past the start is data: not skipped)
        try:
            evs = lines_fn(b"\n" + data if shift else data, errors=errors, max_line_size=limit)
        except DecodeError as err:
            raise err.shifted(line - shift, offset - shift) from None
        if errors == "replace":  # (strict mode raises instead: nothing to move)
            _relocate(evs, line - shift, offset - shift, 0)
        line += _newlines(data)
        offset += len(data)
        return evs, len(data)

    def skip(held: bytearray, block: bytes, pos: int) -> _Long:
        return _Long(held, block, pos, line + 1, offset, limit, errors)

    first = True
    for block in blocks:
        if first and block.startswith(_BOM):  # decode_lines takes JSON, not a BOM; offsets still count it
            block, offset, first = block[3:], 3, False
        first = False
        pos = 0
        if long is not None:  # the rest of an over-long line
            nl = block.find(b"\n")
            long.add(block, 0, len(block) if nl < 0 else nl)
            if nl < 0:
                yield [], len(block)
                continue
            yield (_framed(long.report()) if raw else long.report()), nl + 1
            line += 1
            offset += long.size + 1
            long = None
            pos = nl + 1
        nl = block.rfind(b"\n", pos)
        if nl < 0:
            if len(pending) + len(block) - pos > limit:
                long = skip(pending, block, pos)
                yield [], len(pending) + len(block) - pos
                pending = bytearray()
            else:
                pending += memoryview(block)[pos:]
            continue
        if pending:
            pending += memoryview(block)[pos : nl + 1]
            data = bytes(pending)
        else:
            data = block if pos == 0 and nl + 1 == len(block) else block[pos : nl + 1]
        yield run(data)
        if len(block) - nl - 1 > limit:
            long = skip(bytearray(), block, nl + 1)
            yield [], len(block) - nl - 1
            pending = bytearray()
        else:
            pending = bytearray(memoryview(block)[nl + 1 :])
    if long is not None:
        yield (_framed(long.report()) if raw else long.report()), 0
    elif pending:
        yield run(bytes(pending))


def _sse(blocks: Iterator[bytes], errors: str, decoder: Any, raw: bool = False, part: bool = False) -> _Parts:
    """SSE blocks through one incremental decoder: its errors' lines, offsets and indices are stream-absolute.
    ``part``: the blocks are a byte range of a stream known to be SSE (a worker's range, see ``_jobs.plan``), so a
    range of blank lines alone is no "not an SSE stream" body."""
    dec: Any = (
        decoder.sse_decoder(errors=errors, raw=raw) if decoder is not None else SSEDecoder(errors=errors, raw=raw)
    )
    if part:
        dec._events.seen = True
    held: list[bytes] = []  # fed 4 blocks at a time: each feed costs the SSE decoder a fixed amount (measured:
    size = 0  # 0.84x of a whole-buffer decode_sse with 1 MiB feeds, 0.89x with 4 MiB)
    for block in blocks:
        held.append(block)
        size += len(block)
        if size >= _SSE_FEED:
            yield dec.feed(b"".join(held) if len(held) > 1 else held[0]), size
            held, size = [], 0
    if held:
        yield dec.feed(b"".join(held)), size
    yield dec.close(), 0


def _array(blocks: Iterator[bytes], errors: str, array_fn: Callable[..., list[Any]]) -> _Parts:
    """A JSON array, in bounded memory and linear time: the buffer is cut after a comma between two elements
    and the elements before the cut are decoded as an array of their own (by ``array_fn``, the in-memory
    decoder). Where the cut goes: when a block brings at least as much as the buffer held, the last ``},``
    that a structural msgspec decode proves to end whole values (fast: typical events); otherwise, or when
    that fails (elements that are arrays or numbers, strings full of ``},``, elements longer than a block),
    an incremental scanner (:class:`_Scan`) that reads each byte once finds the last top-level comma."""
    buf = bytearray()
    started = False
    index = 0  # elements before buf[0]
    offset = 0  # file offset of buf[0]
    line = 0  # newlines before buf[0]
    scan: _Scan | None = None
    rest_fast = 0
    bom = True  # (no BOM but at the very start)
    pend = b""  # the first bytes of what may be a BOM, at the end of the last block (not yet counted)
    for block in blocks:
        if not started:  # blank bytes (and the BOM at the very start: a block of its own) are counted, not held
            if block == _BOM and offset == 0:
                offset = 3
                continue
            if pend:
                block = pend + block
            skip, bom, pend = _lead_end(block, bom)
            if skip < 0:
                line += _newlines(block)
                offset += len(block) - len(pend)
                continue
            if block[skip] != 0x5B:  # "["
                raise DecodeError(
                    "JSON is malformed: expected '[' (byte 0)",
                    pos=offset + skip,
                    line=line + _newlines(block[:skip]) + 1,
                    offset=offset + skip,
                )
            line += _newlines(block[: skip + 1])
            offset += skip + 1
            block = block[skip + 1 :]
            started = True
        buf += block
        cut = 0
        if rest_fast:  # the fast path failed lately: the scanner goes on alone for a few blocks
            rest_fast -= 1
        elif 2 * len(block) >= len(buf) and (scan is None or scan.end < 0):
            cut = _array_cut(buf)
            if cut:
                scan = None
            else:
                rest_fast = 2
        if not cut:
            if scan is None:
                scan = _Scan()
            cut = scan.feed(buf)
        if cut <= 0:
            continue
        piece = bytes(buf[:cut]).rstrip(_WS)[:-1]  # without the trailing comma
        evs = _array_piece(piece, errors, array_fn, index, line, offset)
        yield evs, cut
        index += len(evs)
        line += _newlines(piece) + _newlines(buf[len(piece) : cut])
        offset += cut
        del buf[:cut]
        if scan is not None:
            scan.cut(cut)
    if not started:
        if pend:
            raise DecodeError("JSON is malformed: expected '[' (byte 0)", pos=offset, line=line + 1, offset=offset)
        return
    tail = bytes(buf).rstrip(_WS)
    if not tail.endswith(b"]"):
        raise DecodeError(
            "Input data was truncated: the array has no closing ']'",
            pos=len(tail),
            line=line + _newlines(tail) + 1,
            offset=offset + len(tail),
        )
    yield _array_piece(tail[:-1], errors, array_fn, index, line, offset), len(buf)


_STRUCT = re.compile(rb'["\[\]{}]')


def _skip_pattern(levels: int) -> re.Pattern[bytes]:
    """Inside an element: a stretch of one nesting level, with whole strings and whole bracketed groups up to
    ``levels`` deep in it (so one C-speed match per element, mostly). It stops before the bracket that
    closes the level, before a group deeper than that or not closed in the buffer, and before a string the
    buffer cuts short: the scanner's loop takes one step there and matches again."""
    string = rb'"(?:[^"\\]++|\\.)*+"'
    level = rb'(?:[^"\[\]{}]++|' + string + rb")*+"
    for _ in range(levels):
        level = rb'(?:[^"\[\]{}]++|' + string + rb"|[\[{]" + level + rb"[\]}])*+"
    return re.compile(level)


_SKIP = _skip_pattern(8)


class _Scan:
    """The JSON structure of an array's buffer, read once, block after block, to find the commas between its
    elements. Between elements (depth 0) a regex search skips to the next bracket or quote, and the last comma
    of each stretch is a cut point; a string is skipped by ``find`` to its closing quote (an escaped one is told
    by the backslashes before it); an element that is an object or array is skipped by one msgspec parse (it
    stops at the first byte after the value: C speed). An element the buffer cuts short is parsed again once
    the buffer has doubled past it (so each byte is parsed about twice); a malformed one is read by the regex
    :data:`_SKIP`, nesting depth counted (the decode of the piece reports it)."""

    __slots__ = ("pos", "depth", "in_str", "end", "need")

    def __init__(self) -> None:
        self.pos: int = 0  # the next byte of the buffer to read
        self.depth = 0  # nesting inside an element being read by the regex (0: between elements)
        self.in_str = False
        self.end = -1  # where the array's closing bracket was met (nothing is cut after it)
        self.need = 0  # an element at `pos` was cut short: parse it again once the buffer holds this much

    def feed(self, buf: bytearray) -> int:
        """Read ``buf[self.pos:]``; return the end of the last comma between elements in ``buf`` (0: none)."""
        n = len(buf)
        if self.end >= 0 or n < self.need:
            return 0
        pos, depth, in_str = self.pos, self.depth, self.in_str
        cut = 0
        find = buf.find
        while pos < n:
            if in_str:
                q = find(b'"', pos)
                if q < 0:
                    pos = n
                    break
                b = q
                while buf[b - 1] == 0x5C:  # backslashes before the quote (the opening quote stops the walk)
                    b -= 1
                pos = q + 1
                if not (q - b) & 1:
                    in_str = False
                continue
            if depth:  # inside a malformed element
                skipped = _SKIP.match(buf, pos)  # (always matches, maybe nothing)
                pos = skipped.end() if skipped is not None else pos
                if pos >= n:
                    break
                c = buf[pos]
                pos += 1
                if c == 0x22:
                    in_str = True
                elif c == 0x5B or c == 0x7B:
                    depth += 1
                else:
                    depth -= 1
                continue
            m = _STRUCT.search(buf, pos)
            at = n if m is None else m.start()
            if at > pos:
                c = buf.rfind(b",", pos, at)
                if c >= 0:
                    cut = c + 1
            if m is None:
                pos = n
                break
            c = buf[at]
            if c == 0x22:
                in_str = True
                pos = at + 1
            elif c == 0x5B or c == 0x7B:
                end = _value_end(buf, at)
                if end > 0:
                    pos = end
                elif end == 0:  # cut short: wait for the buffer to double past it
                    self.pos, self.depth, self.in_str, self.need = at, 0, False, at + 2 * (n - at)
                    return cut
                else:
                    depth, pos = 1, at + 1
            else:  # the array's closing bracket (or a stray one: the decode of what precedes it will say)
                self.end = at
                break
        self.pos, self.depth, self.in_str, self.need = pos, depth, in_str, 0
        return cut

    def cut(self, k: int) -> None:
        """``k`` bytes were cut from the front of the buffer."""
        self.pos -= k
        if self.end >= 0:
            self.end -= k
        if self.need:
            self.need -= k


_raw_one = msgspec.json.Decoder(msgspec.Raw)
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")


def _value_end(buf: bytearray, at: int) -> int:
    """Where the JSON value at ``buf[at]`` ends (the first byte after it that is not whitespace, or the end of
    the buffer); 0 if the buffer cuts it short, -1 if it is malformed."""
    with memoryview(buf) as view:
        try:
            _raw_one.decode(view[at:])
        except msgspec.DecodeError as exc:
            msg = str(exc)
        except RecursionError:  # deeper than msgspec goes: the regex reads it
            return -1
        else:
            return len(buf)
    m = _TRAILING.search(msg)
    if m is not None:  # (msgspec names one past the first byte after the value)
        return at + int(m.group(1)) - 1
    return 0 if msg.startswith("Input data was truncated") else -1


def _element_at(piece: bytes, k: int) -> int:
    """The byte position of element ``k`` in ``piece`` (comma-separated values): for locating an error."""
    try:
        elements = RAW_ARRAY.decode(b"[" + piece + b"]")
    except msgspec.DecodeError:
        return 0
    where = ElementLocator(piece)
    for el in elements[:k]:
        where.skip(bytes(el))
    return where.locate(bytes(elements[k]))[0] if k < len(elements) else where.at


def _array_piece(
    piece: bytes, errors: str, array_fn: Callable[..., list[Any]], index: int, line: int, offset: int
) -> list[Any]:
    """Decode the values of ``piece`` as an array; errors moved to file coordinates (the in-memory decoder
    locates each bad element by line and offset in ``b"[" + piece + b"]"``: one byte to take off)."""
    if not piece.strip(_WS):
        return []
    try:
        evs = array_fn(b"[" + piece + b"]", errors=errors)
    except DecodeError as err:
        if err.index is not None and err.offset is not None and err.line is not None:
            raise err.shifted(line, offset - 1, index) from None
        if err.index is not None:
            at = _element_at(piece, err.index)
        else:  # not a well-formed array: located by the byte position msgspec names
            at = max(0, (err.pos or 1) - 1)
        msg = err.msg if err.index is not None else _BYTE.sub(f"(byte {offset + at})", err.msg)
        raise DecodeError(
            msg,
            path=err.path,
            pos=err.pos,
            line=line + _newlines(piece[:at]) + 1,
            offset=offset + at,
            index=None if err.index is None else err.index + index,
            raw=err.raw,
        ) from None
    if errors == "replace":
        _relocate(evs, line, offset - 1, index)
    return evs


def _array_cut(buf: bytearray) -> int:
    """The end of a comma after which only whole values precede it, or 0 (none found in a few tries): first
    where an event starts (``{"type":"response.``: the comma before it is almost always between elements),
    then after any ``}``. Each candidate is checked by a structural msgspec decode of what precedes it."""
    end = len(buf)
    for _ in range(3):
        k = buf.rfind(_EVENT_START, 0, end)
        if k <= 0:
            break
        j = k - 1
        while j > 0 and buf[j] in _WS_SET:
            j -= 1
        if buf[j] == 0x2C:  # ","
            i = j - 1
            while i > 0 and buf[i] in _WS_SET:
                i -= 1
            if buf[i] == 0x7D and _whole(buf, i + 1):  # "}"
                return j + 1
        end = k
    end = len(buf)
    for _ in range(3):
        k = buf.rfind(b"}", 0, end)
        if k < 0:
            return 0
        j = k + 1
        while j < len(buf) and buf[j] in _WS_SET:
            j += 1
        if j < len(buf) and buf[j] == 0x2C and _whole(buf, k + 1):  # ","
            return j + 1
        end = k
    return 0


_EVENT_START = b'{"type":"response.'


def _whole(buf: bytearray, end: int) -> bool:
    """Whether ``buf[:end]`` is whole JSON values separated by commas."""
    try:
        RAW_ARRAY.decode(b"[" + bytes(buf[:end]) + b"]")
    except (msgspec.DecodeError, RecursionError):
        return False
    return True


# -- public --------------------------------------------------------------------------------------------------


def _batches(
    source: Any,
    *,
    format: str | None,
    errors: str,
    decoder: Any,
    batch_size: int,
    on_bytes: Callable[[int], object] | None = None,
    max_line_size: int = DEFAULT_MAX_LINE_SIZE,
    raw: bool = False,
) -> Iterator[list[Any]]:
    _check(format, errors, batch_size)
    check_line_size(max_line_size)
    opened: list[Any] = []
    batch: list[Any] = []
    try:
        blocks, fmt = _blocks(source, BLOCK_SIZE, opened, format)
        lines_fn: Callable[..., list[Any]] = decoder.decode_lines if decoder is not None else decode_lines
        array_fn: Callable[..., list[Any]] = decoder.decode_array if decoder is not None else decode_array
        if raw:  # Framed (event, raw) pairs: each event beside its line / SSE data / element
            lines_fn, array_fn = partial(lines_fn, raw=True), partial(array_fn, raw=True)
        if fmt == "ndjson":
            parts = _ndjson(blocks, errors, lines_fn, max_line_size, raw)
        elif fmt == "sse":
            parts = _sse(blocks, errors, decoder, raw)
        else:
            parts = _array(blocks, errors, array_fn)
        held = 0  # input bytes behind the events in `batch`
        for evs, nbytes in parts:
            if on_bytes is not None:
                on_bytes(nbytes)
            batch += evs
            held += nbytes
            while len(batch) >= batch_size:
                yield batch[:batch_size]
                del batch[:batch_size]
                held = 0
            if held >= _BATCH_BYTES and batch:
                yield batch
                batch, held = [], 0
        if batch:
            yield batch
    except _Corrupt as exc:  # (a broken gzip stream: the events decoded before it first)
        if batch:
            yield batch
        raise exc.error from None
    finally:
        for f in opened:
            f.close()


@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict"] = "strict",
    decoder: None = None,
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: Literal[False] = False,
) -> Iterator[list[Event]]: ...
@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict"] = "strict",
    decoder: None = None,
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: Literal[True],
) -> Iterator[list[Framed[Event]]]: ...
@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"],
    decoder: None = None,
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: Literal[False] = False,
) -> Iterator[list[Event | InvalidEvent]]: ...
@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"],
    decoder: None = None,
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: Literal[True],
) -> Iterator[list[Framed[Event | InvalidEvent]]]: ...
@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict"] = "strict",
    decoder: Decoder[T],
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: Literal[False] = False,
) -> Iterator[list[T | UnknownEvent]]: ...
@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict"] = "strict",
    decoder: Decoder[T],
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: Literal[True],
) -> Iterator[list[Framed[T | UnknownEvent]]]: ...
@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"],
    decoder: Decoder[T],
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: Literal[False] = False,
) -> Iterator[list[T | UnknownEvent | InvalidEvent]]: ...
@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"],
    decoder: Decoder[T],
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: Literal[True],
) -> Iterator[list[Framed[T | UnknownEvent | InvalidEvent]]]: ...
@overload
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"] = ...,
    decoder: Decoder[Any] | None = None,
    batch_size: int = 65536,
    max_line_size: int = ...,
    raw: bool,
) -> Iterator[list[Any]]: ...
def iter_batches(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"] = "strict",
    decoder: Decoder[Any] | None = None,
    batch_size: int = 65536,
    max_line_size: int = DEFAULT_MAX_LINE_SIZE,
    raw: bool = False,
) -> Iterator[list[Any]]:
    """Decoded events of a file, stream or buffer, in lists of at most ``batch_size`` events.

    ``source``: a path (``"-"`` for stdin), a binary file object, or a buffer holding the data (``bytes``,
    ``mmap``, …, read in place). ``format``: ``"ndjson"``, ``"sse"``, ``"array"``, or ``None`` to detect it
    from the first byte (``[`` array, ``{`` NDJSON, anything else SSE); gzip is detected by its magic bytes.
    Memory stays bounded: input is read in 1 MiB blocks, and a batch is handed out early once it holds 1 MiB
    of input. Errors (``DecodeError``, or ``InvalidEvent`` with ``errors="replace"``) carry file-absolute
    ``.line`` and ``.offset``, and ``.index`` for SSE events and array elements.
    ``decoder``: a :class:`Decoder` to decode with (e.g. a projection). ``max_line_size``: an NDJSON line
    longer than this is reported (``DecodeError``, or an ``InvalidEvent`` holding its first KiB) and skipped
    as it arrives, never held (default :data:`DEFAULT_MAX_LINE_SIZE`, 64 MiB). ``raw=True``: each item is a
    :class:`Framed` ``(event, raw)``, ``raw`` the event's bytes exactly as in the (uncompressed) input: its
    NDJSON line without the line end, its SSE data, its array element.
    """
    return _batches(
        source,
        format=format,
        errors=errors,
        decoder=decoder,
        batch_size=batch_size,
        max_line_size=max_line_size,
        raw=raw,
    )


@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict"] = "strict",
    decoder: None = None,
    max_line_size: int = ...,
    raw: Literal[False] = False,
) -> Iterator[Event]: ...
@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict"] = "strict",
    decoder: None = None,
    max_line_size: int = ...,
    raw: Literal[True],
) -> Iterator[Framed[Event]]: ...
@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"],
    decoder: None = None,
    max_line_size: int = ...,
    raw: Literal[False] = False,
) -> Iterator[Event | InvalidEvent]: ...
@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"],
    decoder: None = None,
    max_line_size: int = ...,
    raw: Literal[True],
) -> Iterator[Framed[Event | InvalidEvent]]: ...
@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict"] = "strict",
    decoder: Decoder[T],
    max_line_size: int = ...,
    raw: Literal[False] = False,
) -> Iterator[T | UnknownEvent]: ...
@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict"] = "strict",
    decoder: Decoder[T],
    max_line_size: int = ...,
    raw: Literal[True],
) -> Iterator[Framed[T | UnknownEvent]]: ...
@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"],
    decoder: Decoder[T],
    max_line_size: int = ...,
    raw: Literal[False] = False,
) -> Iterator[T | UnknownEvent | InvalidEvent]: ...
@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"],
    decoder: Decoder[T],
    max_line_size: int = ...,
    raw: Literal[True],
) -> Iterator[Framed[T | UnknownEvent | InvalidEvent]]: ...
@overload
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"] = ...,
    decoder: Decoder[Any] | None = None,
    max_line_size: int = ...,
    raw: bool,
) -> Iterator[Any]: ...
def iter_events(
    source: Source,
    *,
    format: Format | None = None,
    errors: Literal["strict", "replace"] = "strict",
    decoder: Decoder[Any] | None = None,
    max_line_size: int = DEFAULT_MAX_LINE_SIZE,
    raw: bool = False,
) -> Iterator[Any]:
    """The events of :func:`iter_batches`, one by one (``raw=True``: :class:`Framed` pairs)."""
    for batch in _batches(
        source, format=format, errors=errors, decoder=decoder, batch_size=65536, max_line_size=max_line_size, raw=raw
    ):
        yield from batch
