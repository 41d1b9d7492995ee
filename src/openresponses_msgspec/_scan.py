"""Line-structure proofs over byte windows: the C scanner (``_native``) when it was built, else pure Python.

Both paths give the same result on every input (``tests/unit/test_native.py`` compares them, and
``tools/fuzz_native.py`` runs the C core under AddressSanitizer and UBSan). ``NATIVE`` says which one is
active; ``OPENRESPONSES_MSGSPEC_PURE=1`` in the environment forces the pure-Python one (read at import).

Every function takes ``data`` (bytes, bytearray or a contiguous byte memoryview) and a range ``pos:end``
inside it (``ValueError`` otherwise); positions in results are positions in ``data``.

- :func:`utf8_valid`: whether ``data[pos:end]`` is valid UTF-8 (CPython's strict codec; ``final=False``: a
  valid start of a sequence may end it, as the codec's incremental decoder allows).
- :func:`prove_lines`: the NDJSON window proof. ``(last, newlines, blank)`` when ``data[pos:end]`` starts with
  ``{``, ends with ``}`` before its trailing JSON whitespace (at ``last``), and every LF before ``last`` is in
  ``}\\n{``, ``}\\r\\n{`` or one of the two LFs of ``}\\n\\n{``, ``}\\r\\n\\r\\n{`` (``blank`` counts those);
  ``newlines`` counts the LFs before ``last``. Then every non-empty line is ``{...}`` and no JSON value can
  span two lines, so a ``decode_lines`` call returning one value per non-empty line was line-exact.
- :func:`ndjson_window`: both in one call (one pass in C): ``(valid, proof)``, ``proof`` None when
  ``data[pos:end]`` is not valid UTF-8 (``check_utf8=False``: the caller knows it is, ``valid`` is True).
- :func:`sse_frames`: the longest run of regular SSE frames at ``pos``: each is comment (``:...``) and empty
  lines, at most one ``event:`` line, one ``data: {...}`` line (its value ending in ``}``) and the empty line
  that dispatches it, LF line ends only. ``(stop, frames, lines, body)``: where the run ends, its frames, its
  LFs, and the payloads joined by LF (one ``{...}`` per line: a ``decode_lines`` call over ``body`` returning
  ``frames`` values decoded each payload alone); None when no frame is regular.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable
from types import ModuleType
from typing import Protocol

from ._bytes import JSON_WS, WINDOW

__all__ = ["NATIVE", "Proof", "ndjson_window", "prove_lines", "sse_frames", "utf8_valid"]

Proof = tuple[int, int, int]
Frames = tuple[int, int, int, bytes]
Data = bytes | bytearray | memoryview


def _check(data: Data, pos: int, end: int) -> None:
    if pos < 0 or end < pos or end > len(data):
        raise ValueError(f"range {pos}:{end} outside a buffer of {len(data)} bytes")


def py_utf8_valid(data: Data, pos: int, end: int, final: bool = True, /) -> bool:
    _check(data, pos, end)
    view = memoryview(data)
    try:
        if end - pos <= WINDOW:
            _ = codecs.utf_8_decode(view[pos:end], "strict", final)
            return True
        # in cache-sized pieces: decoding a big buffer at once builds one huge str (4 bytes a character once a
        # CJK character occurs), several times slower
        dec = codecs.getincrementaldecoder("utf-8")()
        for i in range(pos, end, WINDOW):
            _ = dec.decode(view[i : min(end, i + WINDOW)])
        if final:
            _ = dec.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


_hint = [0]  # which pattern count held last (a hint shared by threads: any order gives the same answer)


def py_prove_lines(data: Data, pos: int, end: int) -> Proof | None:
    _check(data, pos, end)
    if type(data) is memoryview:
        data = data.tobytes()  # (a memoryview has no count)
    if pos >= end or data[pos] != 123:  # "{"
        return None
    last = end
    while data[last - 1] in JSON_WS:  # (stops at the "{")
        last -= 1
    if data[last - 1] != 125:  # "}"
        return None
    window = data[pos:last]
    newlines = len(window) - len(window.replace(b"\n", b""))  # (deleting a byte runs on memchr: 5x a count)
    blank = 0
    if newlines:
        # Each LF is in at most one occurrence of these patterns, so the counts add up to the LFs iff every LF
        # is in one. The longer patterns are found faster (longer skips): the kind that held last goes first.
        hint = _hint[0]
        if hint == 0 and data.count(b'}\n{"type":"response.', pos, last) == newlines:
            pass
        elif (
            hint <= 1
            and (joined := data.count(b'}\n{"type":"response.', pos, last))
            + 2 * (two := data.count(b'}\n\n{"type":"response.', pos, last))
            == newlines
        ):
            blank = two
            _hint[0] = 1 if two else 0
        elif (joined := data.count(b"}\n{", pos, last)) == newlines:
            _hint[0] = 2
        else:
            joined += data.count(b"}\r\n{", pos, last)
            if joined != newlines:
                blank = data.count(b"}\n\n{", pos, last) + data.count(b"}\r\n\r\n{", pos, last)
                if joined + 2 * blank != newlines:
                    _hint[0] = 0
                    return None
            _hint[0] = 2
    return last, newlines, blank


def py_ndjson_window(data: Data, pos: int, end: int, check_utf8: bool) -> tuple[bool, Proof | None]:
    if check_utf8 and not py_utf8_valid(data, pos, end):
        return False, None
    return True, py_prove_lines(data, pos, end)


# One regular frame; a run of them is matched at once (possessive: no backtracking state per frame).
_FRAME = rb"(?>(?::[^\r\n]*+\n|\n)*+)(?:event:[^\r\n]*+\n)?data: (\{[^\r\n]*\})\n\n"
_FRAMES = re.compile(rb"(?:" + _FRAME + rb")++")
_ONE_FRAME = re.compile(_FRAME)


def py_sse_frames(data: Data, pos: int, end: int) -> Frames | None:
    _check(data, pos, end)
    if type(data) is memoryview:
        data = data.tobytes()
    m = _FRAMES.match(data, pos, end)
    if m is None:
        return None
    stop = m.end()
    payloads = _ONE_FRAME.findall(data, pos, stop)
    return stop, len(payloads), data.count(b"\n", pos, stop), b"\n".join(payloads)


class _Utf8Valid(Protocol):
    def __call__(self, data: Data, pos: int, end: int, final: bool = True, /) -> bool: ...


def _native_enabled() -> bool:
    return os.environ.get("OPENRESPONSES_MSGSPEC_PURE", "") not in ("1", "true", "yes")


utf8_valid: _Utf8Valid = py_utf8_valid
prove_lines: Callable[[Data, int, int], Proof | None] = py_prove_lines
ndjson_window: Callable[[Data, int, int, bool], tuple[bool, Proof | None]] = py_ndjson_window
sse_frames: Callable[[Data, int, int], Frames | None] = py_sse_frames
_loaded: ModuleType | None = None
if _native_enabled():
    try:
        from . import _native as _c
    except ImportError:  # not built (no compiler at install): the pure-Python twins above
        pass
    else:
        utf8_valid = _c.utf8_valid
        prove_lines = _c.prove_lines
        ndjson_window = _c.ndjson_window
        sse_frames = _c.sse_frames
        _loaded = _c
NATIVE: bool = _loaded is not None
"""Whether the C scanner is active (built, and not turned off by ``OPENRESPONSES_MSGSPEC_PURE=1``)."""
