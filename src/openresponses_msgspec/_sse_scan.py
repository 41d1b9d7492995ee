"""SSE, part 3: scanning fast paths over one region of complete lines (no CR in it unless said).

Each function here takes a region ``b[pos:end]`` and handles many lines in one step; none of them is called
per line. What they cover, from the most common:

- ``regular_data_region`` / ``regular_event_region``: the proof that a region is N frames
  ``data: {json}\\n\\n`` (or ``event: <type>\\ndata: {json}\\n\\n``), each on one line, giving its payloads
  to msgspec in one ``decode_lines`` call (``decode_regular``);
- ``bulk_frames``: that, and the older, more general rewrites (comments between frames; ``raw=True``);
- ``single_frames``: the same frames one at a time, in a tight loop (a small chunk, or a region that failed);
- ``quiet_end``: a run of comment lines and blank lines in one match;
- ``bulk_region``/``interruption``: where a bulk attempt starts and stops.

:class:`Cursor` is where the scan of one region stands (kept when a strict error interrupts it).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from . import _scan
from ._bytes import count_newlines as _count_newlines
from ._errors import DecodeError
from ._sse_events import Sink

__all__ = [
    "FRAME_STARTS",
    "MIN_WINDOW",
    "Cursor",
    "bulk_due",
    "bulk_frames",
    "bulk_region",
    "decode_regular",
    "interruption",
    "quiet_end",
    "regular_data_region",
    "regular_event_region",
    "single_frames",
]

MIN_WINDOW = 1 << 12  # the smallest bulk region (WINDOW, shared with NDJSON, is the largest)
FRAME_STARTS = (b"data: {", b"event:")  # where a bulk region may begin
# A run of comment lines and blank lines: with LF line ends it ends at the first LF followed by another kind of
# line (a search with a literal first byte runs near memchr speed); with CR in the input, one possessive match
# (no backtracking state per line, so no memory that grows with the run).
_QUIET_END = re.compile(rb"\n[^:\n]")
_QUIET = re.compile(rb"(?:(?::[^\r\n]*+)?[\r\n]++)++")
_LFS = [b"\n" * (1 << k) for k in range(13)]  # runs of 1 .. 4096 LFs, for skipping blank lines by memcmp
_EVENT_SEP = re.compile(rb"}\n\nevent:[^\n]*\ndata: {")
# Comment lines (and blank lines) between two frames: what separates two frames in a region besides the
# plain separator. Possessive: a match keeps no state per repetition.
_COMMENT_SEP = re.compile(rb"}\n\n(?::[^\n]*+\n++)++data: {")
_EVENT_COMMENT_SEP = re.compile(rb"}\n\n(?::[^\n]*+\n++)++event:[^\n]*+\ndata: {")
_DATA_SEP = b"}\n\ndata: {"
_DATA_PAD = b"}" + b"\t" * 8 + b"{"  # the same length, no newline: see regular_data_region
_REPEATED = 32  # a rare event separator met this often in one region is replaced all at once


class Cursor:
    """Where the scan of one region stands: ``pos``, the line ends behind it (``lines``), where a bulk
    attempt may start (``bulk_from``: no region is tried twice) and how far it may reach (``window``)."""

    __slots__ = ("pos", "lines", "bulk_from", "window")

    def __init__(self, pos: int, lines: int, bulk_from: int, window: int) -> None:
        self.pos = pos
        self.lines = lines
        self.bulk_from = bulk_from
        self.window = window


# -- the regular-region proof ----------------------------------------------------------------------------


def regular_data_region(buf: bytes | bytearray, start: int, end: int) -> tuple[bytes | bytearray, int] | None:
    """Prove that ``buf[start:end]`` is exactly N frames ``data: {...}\\n\\n``, each payload on one line:
    ``(body, N)``, or ``None`` when it is not (then nothing is known).

    ``body`` holds the N payloads in order, each separated from the next by JSON whitespace without a
    newline (``}`` + 8 tabs + ``{`` in place of ``}\\n\\ndata: {``, the same length), and ends with
    ``\\n\\n``. msgspec's ``decode_lines(body)`` giving exactly N values gives the N payloads' values: a
    tab cannot occur raw inside a JSON string, and a ``}`` followed by ``{`` cannot occur inside one value,
    so no value spans two payloads; each payload holds at least one value, so N values means one each.
    Preconditions (the caller's): no CR in the region (a CR would end an SSE line), valid UTF-8.

    The proof: the region starts with ``data: {`` and ends with ``}\\n\\n``; after the rewrite no newline
    is left but the last two, so every newline was one of a separator's two: each frame is one ``data:``
    line and its blank line, and N = newlines / 2.
    """
    if not buf.startswith(b"data: {", start) or not buf.endswith(b"}\n\n", start, end):
        return None
    region = buf[start + 6 : end]
    body = region.replace(_DATA_SEP, _DATA_PAD)
    if body.find(b"\n") != len(body) - 2:
        return None
    return body, _count_newlines(region, 0, len(region)) // 2


def regular_event_region(buf: bytes | bytearray, start: int, end: int) -> tuple[bytes | bytearray, int] | None:
    """:func:`regular_data_region` for Open Responses frames: ``buf[start:end]`` is exactly N frames
    ``event: <type>\\ndata: {...}\\n\\n``, or ``None``. ``body`` starts at the first payload; each separator
    ``}\\n\\nevent: <type>\\ndata: {`` becomes ``}`` + tabs + ``{`` (the same length). The most common
    separator (the last one's) is rewritten in one ``replace``, the others one by one; after that no newline
    is left but the last two, so every newline was one of a separator's three and N = (newlines + 1) / 3."""
    if not buf.startswith(b"event:", start) or not buf.endswith(b"}\n\n", start, end):
        return None
    first = buf.find(b"\n", start, end)
    if first < 0 or not buf.startswith(b"data: {", first + 1):
        return None
    region = buf[first + 7 : end]
    body: bytes | bytearray = region
    last = region.rfind(b"}\n\nevent:")
    if last >= 0:
        sep = _event_sep(region, last)
        if sep is None:
            return None
        body = region.replace(sep, _pad(len(sep)))
    stop = len(body) - 2
    if body.find(b"\n", 0, stop) >= 0:
        rewritten = _other_event_seps(body, stop)
        if rewritten is None:
            return None
        body = rewritten
    newlines = _count_newlines(region, 0, len(region))
    return body, (newlines + 1) // 3


def _event_sep(b: bytes | bytearray, at: int) -> bytes | None:
    """The separator ``}\\n\\nevent:<type>\\ndata: {`` starting at ``at``, or ``None``."""
    eol = b.find(b"\n", at + 3)
    if eol < 0 or not b.startswith(b"\ndata: {", eol):
        return None
    return bytes(b[at : eol + 8])


def _pad(n: int) -> bytes:
    """``n`` bytes of JSON whitespace without a newline between a ``}`` and a ``{``."""
    return b"}" + b"\t" * (n - 2) + b"{"


def _other_event_seps(body: bytes | bytearray, stop: int) -> bytearray | None:
    """Rewrite the separators left in ``body[:stop]``, each found at its first newline; ``None`` when a
    newline there is not a separator's. Every ``_REPEATED``-th one is taken for a common kind after all:
    all of its kind go in one ``replace`` (so a region of several common kinds costs a few passes)."""
    out = bytearray(body)
    find = out.find
    startswith = out.startswith
    met = 0
    i = find(b"\n", 0, stop)
    while i >= 0:
        eol = find(b"\n", i + 2)  # the end of the event line
        if not startswith(b"}\n\nevent:", i - 1) or not startswith(b"\ndata: {", eol):
            return None
        end = eol + 8
        met += 1
        if met % _REPEATED:
            out[i - 1 : end] = _pad(end - i + 1)
        else:
            out = out.replace(out[i - 1 : end], _pad(end - i + 1))
            find, startswith = out.find, out.startswith
        i = find(b"\n", end, stop)
    return out


def decode_regular(kernel: Any, body: bytes | bytearray, count: int) -> list[Any] | None:
    """The ``count`` events of a body a regular-region proof gave, with one msgspec call, or ``None`` (an
    event msgspec rejects, or a nesting the depth guard must look at: then frame by frame)."""
    got: list[Any] | None = kernel.bulk_joined(body, count)
    return got


# -- bulk decoding of a region of frames ------------------------------------------------------------------


def bulk_frames(kernel: Any, raw: bool, b: bytes | bytearray, pos: int, end: int) -> tuple[list[Any], int] | None:
    """Decode the frames in ``b[pos:end]`` at once: (events, lines), or None to go frame by frame.

    The regular regions first (see :func:`regular_data_region`); then the general rewrite, which also
    takes comment lines between frames and ``raw=True``: valid only when the region is exactly
    ``data: {...}\\n\\n`` frames (all of them, or none, after one ``event:`` line), each on one line. The
    region starts with ``data: {`` and ends with ``}\\n\\n``; replacing each separator (with its ``event:``
    line) by ``}\\n{`` leaves ``k + 1`` segments for ``k`` separators, each starting with ``{`` and ending
    with ``}``. The kernel decodes iff its counting proof shows one JSON value per non-blank line; ``k + 1``
    values then means one line per segment, so each frame is exactly one ``data:`` line and its blank line.
    """
    if b[end - 3] != 125:  # "}"
        return None
    got = _native(kernel, raw, b, pos, end) if _scan.NATIVE else False if raw else _regular(kernel, b, pos, end)
    if got is not False:
        return got
    if b.startswith(b"data: {", pos):
        return _general_data(kernel, raw, b, pos, end)
    if not b.startswith(b"event:", pos):
        return None
    # Open Responses servers: `event: <type>` before every data line
    first = b.find(b"\n", pos, end)
    if first < 0 or not b.startswith(b"data: {", first + 1):
        return None
    body, seps = _EVENT_SEP.subn(b"}\n{", b[first + 7 : end])
    return _general(kernel, raw, body, seps, 3 * (seps + 1), _EVENT_COMMENT_SEP, b, pos, end)


def _native(
    kernel: Any, raw: bool, b: bytes | bytearray, pos: int, end: int
) -> tuple[list[Any], int] | None | Literal[False]:
    """The C scanner frames the region in one pass (its payloads, joined by newlines): its events and lines;
    ``None``: framed but an event failed; ``False``: not all of it is regular frames."""
    scanned = _scan.sse_frames(b, pos, end)
    if scanned is None or scanned[0] != end:
        return False
    _, frames, lines, joined = scanned
    got = kernel.frames(joined.split(b"\n")) if raw else kernel.bulk_joined(joined, frames)
    return None if got is None else (got, lines)


def _regular(kernel: Any, b: bytes | bytearray, pos: int, end: int) -> tuple[list[Any], int] | None | Literal[False]:
    """A regular region's events and lines; ``None``: proven regular but an event failed (go frame by
    frame); ``False``: not proven (try the general rewrite)."""
    data = b[pos] == 100  # "d": data frames, else event: frames
    proof = regular_data_region(b, pos, end) if data else regular_event_region(b, pos, end)
    if proof is None:
        return False
    events = decode_regular(kernel, *proof)
    return None if events is None else (events, (2 if data else 3) * proof[1])


def _general_data(kernel: Any, raw: bool, b: bytes | bytearray, pos: int, end: int) -> tuple[list[Any], int] | None:
    """The general rewrite of a region of ``data:`` frames (see :func:`bulk_frames`)."""
    if raw:  # the frames' payloads, each decoded alone (no proof needed), paired with it
        inner = b[pos + 6 : end - 2]  # (without the last frame's blank line)
        pieces = inner.split(b"\n\ndata: ")
        nl = _count_newlines(inner, 0, len(inner))
        if nl == 2 * len(pieces) - 2:  # every newline is a frame's: each frame is one data line
            got = kernel.frames(pieces)
            return None if got is None else (got, nl + 2)
    region = b[pos + 6 : end]
    body = region.replace(b"}\n\ndata: {", b"}\n{")
    seps = (len(region) - len(body)) // 7
    return _general(kernel, raw, body, seps, 2 * (seps + 1), _COMMENT_SEP, b, pos, end)


def _general(
    kernel: Any,
    raw: bool,
    body: bytes | bytearray,
    seps: int,
    lines: int,
    comments: re.Pattern[bytes],
    b: Any,
    pos: int,
    end: int,
) -> tuple[list[Any], int] | None:
    """The general rewrite's end: comments between frames, then the kernel's own proof (or raw pieces)."""
    if body.find(b"\n:") >= 0:  # comment lines between frames (OpenRouter's keep-alives): one regex pass
        body, more = comments.subn(b"}\n{", body)
        seps += more
        lines = _count_newlines(b, pos, end)
    if raw:  # body is then the payloads joined by newlines, iff it holds no other newline
        pieces = body[:-2].split(b"\n")
        if len(pieces) != seps + 1:
            return None
        got = kernel.frames(pieces)
        return None if got is None else (got, lines)
    events = kernel.bulk_lines(body, 0, len(body))
    if events is None or len(events) != seps + 1:
        return None
    return events, lines


def bulk_region(b: bytes | bytearray, pos: int, window: int, sample: int = 16, short: int = 2048) -> int:
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


def interruption(b: bytes | bytearray, pos: int, end: int) -> int:
    """Start of the first comment or ``[DONE]`` frame in ``b[pos:end]`` (OpenRouter's usual
    interruptions of a run of frames), or -1."""
    # (the [DONE] needle ends in "\n", rarer in JSON than "]", so the search skips further)
    found = [m + 2 for m in (b.find(b"\n\n:", pos, end), b.find(b"\n\ndata: [DONE]\n", pos, end)) if m >= 0]
    return min(found) if found else -1


# -- one frame at a time ----------------------------------------------------------------------------------


def bulk_due(b: bytes | bytearray, cur: Cursor) -> bool:
    """Whether a bulk attempt is due at ``cur.pos``: a frame start at or past ``cur.bulk_from``."""
    return cur.pos >= cur.bulk_from and b.startswith(FRAME_STARTS, cur.pos)


def single_frames(b: bytes | bytearray, cur: Cursor, base: int, checked: bool, limit: int, sink: Sink) -> None:
    """The common frame, ``[event: ...\\n]data: {json}\\n\\n``, in one step per event, from ``cur.pos``
    until another kind of line, an unfinished frame, or a frame start where a bulk attempt is due."""
    pos, lines, bulk_from = cur.pos, cur.lines, cur.bulk_from
    last = len(b) - 1
    find = b.find
    startswith = b.startswith
    view = memoryview(b)
    one = sink.kernel.one
    append = sink.out.append
    try:
        while not (pos >= bulk_from and startswith(FRAME_STARTS, pos)):  # (else: a bulk attempt is due)
            start = pos
            first = lines + 1  # the frame's first line
            ev = startswith(b"event:", pos)
            if ev:
                pos = find(b"\n", pos) + 1
                if not pos:
                    pos = start
                    break
            nl = find(b"\n", pos, last)  # (not the last byte: b[nl + 1] is then in b)
            if not startswith(b"data: ", pos) or nl < 0 or b[nl + 1] != 10 or nl - pos - 6 > limit:
                pos = start
                break
            s = pos + 6
            pos = nl + 2
            lines = first + 1 + ev
            try:
                append(one(view[s:nl], checked))
            except DecodeError as err:
                sink.failed(err, view[s:nl], base + start, first)
    finally:  # (also when a strict error stops the loop: the rest is read from here)
        cur.pos, cur.lines = pos, lines


def quiet_end(b: bytes | bytearray, pos: int, fast: bool) -> int:
    """End of the run of comment lines and blank lines at ``pos`` (``fast``: no CR in ``b``); ``pos`` or
    less when the run's first line is unfinished."""
    if not fast:
        m = _QUIET.match(b, pos)
        return m.end() if m is not None else 0
    if b.startswith(_LFS[6], pos):  # a long run of blank lines
        return _blank_run_end(b, pos)
    # (a window at a time: a long run of blank lines after it is galloped over)
    n = len(b)
    stop = pos + 4096 if pos + 4096 < n else n
    m = _QUIET_END.search(b, pos, stop)
    end = m.start() + 1 if m is not None else b.rfind(b"\n", pos, stop) + 1
    if end <= pos and stop < n:  # a comment line longer than the window
        m = _QUIET_END.search(b, pos)
        end = m.start() + 1 if m is not None else b.rfind(b"\n", pos) + 1
    return end


def _blank_run_end(b: bytes | bytearray, pos: int) -> int:
    """End of the run of LFs at ``pos``: memcmp, galloping (4096, 2048, ... 1 at a time)."""
    end = pos
    for k in range(12, -1, -1):
        while b.startswith(_LFS[k], end):
            end += 1 << k
    return end
