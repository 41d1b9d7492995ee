"""The NDJSON framer: one event per line (LF or CRLF), blank lines skipped, every bad line named by its
number and byte offset.

Windows of about 256 KiB go to the kernel's bulk decode (one msgspec ``decode_lines`` call, when its counting
proof holds); a window that fails the proof, or holds an unknown tag, invalid UTF-8 or an over-long line, goes
line by line (:func:`decode_lines_exact`). ``raw=True`` (:func:`decode_lines_raw`) splits the lines and pairs
each event with its line's bytes.
"""

from __future__ import annotations

from typing import Any

from . import _scan
from ._bytes import (
    BOM,
    DEFAULT_MAX_LINE_SIZE,
    JSON_WS,
    JSON_WS_SET,
    KEEP_RAW,
    LFS,
    NONBLANK,
    WINDOW,
    is_blank,
    skip_lf_run,
)
from ._errors import DecodeError
from ._kernel import (
    BulkFailure,
    Framed,
    Kernel,
    bad_framed,
    can_decode_directly,
    check_errors,
    frame_all,
    paused,
    source,
)

__all__ = ["check_line_size", "decode_lines", "decode_lines_exact", "decode_lines_raw", "too_long"]

_MAX_FAILS = 4  # failed bulk calls per window before the rest of it goes line by line (each rescans it)


class _Needles:
    """Byte strings that mark lines bulk decoding failed on (unknown tags); windows are cut at the lines
    holding them, so a known-bad line costs one per-line decode instead of a failed bulk call and a second
    decode of what came before it. Per call: nothing is shared between threads."""

    __slots__ = ("needles", "hits")

    def __init__(self) -> None:
        self.needles: list[bytes] = []
        self.hits: list[int] = []

    def add(self, needle: bytes) -> None:
        if needle not in self.needles and len(self.needles) < 16:
            self.needles.append(needle)
            self.hits.append(-1)

    def first(self, data: bytes | bytearray, lo: int, hi: int) -> int:
        """Position of the first remembered needle in ``data[lo:hi]``, or ``hi``."""
        best = hi
        hits = self.hits
        for k, needle in enumerate(self.needles):
            hit = hits[k]
            if hit < lo or hit > hi:
                hit = data.find(needle, lo, hi)
                if hit < 0:
                    hit = hi
                hits[k] = hit
            if hit < best:
                best = hit
        return best

    def reset(self) -> None:
        self.hits = [-1] * len(self.needles)


def check_line_size(max_line_size: int) -> None:
    if not isinstance(max_line_size, int) or isinstance(max_line_size, bool) or max_line_size < 1:
        raise ValueError(f"max_line_size must be a positive int, not {max_line_size!r}")


def too_long(limit: int) -> DecodeError:
    """The error of a line longer than ``limit`` (its ``raw``: the first ``min(KEEP_RAW, limit + 1)`` bytes)."""
    return DecodeError(f"line longer than max_line_size (> {limit} bytes)")


def decode_lines(kernel: Kernel, buf: Any, errors: str, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> list[Any]:
    check_errors(errors)
    check_line_size(max_line_size)
    src, surrogates = source(buf)
    n = len(src)
    out: list[Any] = []
    pos = 3 if src[:3] == BOM else 0  # a UTF-8 BOM at the start is no part of line 1
    lines = _Lines(kernel, out, errors, surrogates, max_line_size)
    if isinstance(src, memoryview):  # read window by window: at most one window is copied at a time
        while pos < n:
            chunk = bytes(src[pos : pos + WINDOW])
            end = chunk.rfind(b"\n") + 1 if pos + len(chunk) < n else len(chunk)
            while not end:  # a line longer than the window
                if len(chunk) > max_line_size:  # too long: found to its end, never held whole
                    pos = lines.skip_long(src, pos, chunk)
                    break
                seen, chunk = len(chunk), grown(src, pos, len(chunk), max_line_size)
                end = chunk.rfind(b"\n", seen) + 1 if pos + len(chunk) < n else len(chunk)
            else:
                lines.region(chunk[:end] if end < len(chunk) else chunk, 0, end, pos)
                pos += end
        return out
    lines.region(src, pos, n, 0)
    return out


def grown(src: memoryview, pos: int, size: int, limit: int) -> bytes:
    """The window at ``pos`` of a line longer than ``size`` bytes, copied again at twice the size (at most
    ``limit + 1`` bytes, enough to tell the line is too long): a long line costs linear time, where growing it
    a window at a time copied it over and over (a 48 MiB line from a memoryview: 3.6 s)."""
    return bytes(src[pos : pos + max(size + 1, min(2 * size, limit + 1))])


class _Lines:
    """NDJSON framing of one call: windows, bulk decoding with the kernel, per-line decoding where needed."""

    __slots__ = ("kernel", "out", "errors", "lineno", "needles", "surrogates", "fails", "limit")

    def __init__(
        self, kernel: Kernel, out: list[Any], errors: str, surrogates: bool, limit: int = DEFAULT_MAX_LINE_SIZE
    ) -> None:
        self.kernel = kernel
        self.limit = limit
        self.out = out
        self.errors = errors
        self.lineno = 0
        self.needles = _Needles()
        self.surrogates = surrogates
        self.fails = 0  # failed bulk calls in the current window

    def region(self, data: bytes | bytearray, pos: int, n: int, base: int) -> None:
        """Decode the lines of ``data[pos:n]``; ``base`` is the input offset of ``data[0]``."""
        # The C scanner checks UTF-8 in the same pass as the proof, window by window; without it one isascii()
        # over the region spares the UTF-8 check of ASCII windows.
        check_utf8 = _scan.NATIVE or not data.isascii()
        long = _long_lines(data, pos)  # then per-line calls cost little, and bulk's extra passes would not pay
        window = min(WINDOW, self.limit + 1)  # every line inside a window is within the limit
        while pos < n:
            end = n if n - pos < window else data.rfind(b"\n", pos, pos + window) + 1
            if end <= pos:  # a line longer than the window
                end = data.find(b"\n", pos + window) + 1 or n
                if end - pos - (data[end - 1] == 10) > self.limit:
                    self.exact(data, pos, end, base, False)
                    pos = end
                    continue
            if long:
                self.exact(data, pos, end, base, check_utf8 and not _scan.utf8_valid(data, pos, end))
            else:
                valid, proof = _scan.ndjson_window(data, pos, end, check_utf8)
                if not valid:
                    self.exact(data, pos, end, base, True)
                else:
                    self.needles.reset()
                    self.fails = 0
                    self.bulk(data, pos, end, base, proof)
            pos = end

    def bulk(self, data: bytes | bytearray, lo: int, hi: int, base: int, scanned: tuple[int, int, int] | None) -> None:
        """Lines ``data[lo:hi]`` (valid UTF-8) in as few msgspec calls as the counting proof allows;
        ``scanned``: what ``_scan`` said of the window."""
        needles = self.needles
        kernel = self.kernel
        start = lo
        proven: tuple[int, int, int] | None | bool = False  # the window's proof, once a cut makes it worth it
        while lo < hi:
            cut = hi
            if needles.needles:
                hit = needles.first(data, lo, hi)
                if hit < hi:
                    cut = data.rfind(b"\n", lo, hit) + 1 or lo
            if cut > lo:
                if self.fails >= _MAX_FAILS:  # a window dense with bad lines: every bulk call would fail
                    self.exact(data, lo, hi, base, False)
                    return
                try:
                    if cut < hi or lo > start:  # a part of the window: prove the whole window once
                        if proven is False:
                            proven = kernel.prove(data, start, hi, scanned)
                        if proven is not None and proven is not True:
                            got = kernel.bulk_proven(data, lo, cut, proven)
                        else:
                            got = kernel.bulk(data, lo, cut)
                    else:
                        got = kernel.bulk(data, lo, cut, scanned)
                except BulkFailure as fail:
                    self.fails += 1
                    lo = self.failed(data, lo, cut, base, fail)
                    continue
                else:
                    if got is None:
                        self.exact(data, lo, cut, base, False)
                    else:
                        self.out += got[0]
                        self.lineno += got[1]
            if cut < hi:  # the line holding a needle, on its own
                nxt = data.find(b"\n", cut, hi) + 1 or hi
                self.exact(data, cut, nxt, base, False)
                lo = nxt
            else:
                lo = hi

    def failed(self, data: bytes | bytearray, lo: int, hi: int, base: int, fail: BulkFailure) -> int:
        """A bulk call over ``data[lo:hi]`` failed: decode what precedes the failing line in bulk again (once:
        per line if that fails too), the failing line on its own (remembering its needle); return where bulk
        decoding goes on."""
        if fail.needle is not None:
            self.needles.add(fail.needle)
        start = -1
        if fail.index is not None:  # the index-th value; one value per non-empty line so far, at most
            start = lo
            k = fail.index
            while k > 0 and start < hi:
                nl = data.find(b"\n", start, hi)
                if nl < 0:
                    start = hi
                    break
                start = nl + 1
                if start < hi and data[start] != 10:  # an empty line holds no value
                    k -= 1
            while start < hi and data[start] == 10:
                start += 1
        elif fail.pos is not None:  # a byte of the failing line, or the first byte of the line after it
            start = data.rfind(b"\n", lo, fail.pos) + 1 or lo
            if start == fail.pos and start > lo:
                start = data.rfind(b"\n", lo, start - 1) + 1 or lo
        if not lo <= start < hi:
            self.exact(data, lo, hi, base, False)
            return hi
        if start > lo:
            try:
                got = self.kernel.bulk(data, lo, start)
            except BulkFailure:
                got = None
            if got is None:
                self.exact(data, lo, start, base, False)
            else:
                self.out += got[0]
                self.lineno += got[1]
        nxt = data.find(b"\n", start, hi) + 1 or hi
        self.exact(data, start, nxt, base, False)
        return nxt

    def exact(self, data: bytes | bytearray, pos: int, n: int, base: int, bad_utf8: bool) -> None:
        """Lines of ``data[pos:n]``, one reused-decoder call each over zero-copy slices; errors located by
        line and byte offset. ``bad_utf8``: the region holds invalid UTF-8, so every line is checked."""
        self.lineno = decode_lines_exact(
            data,
            pos,
            n,
            self.lineno,
            self.out,
            self.errors,
            bad_utf8,
            self.kernel,
            base,
            self.surrogates,
            self.limit,
        )

    def skip_long(self, src: memoryview, pos: int, head: bytes) -> int:
        """The line at ``src[pos]`` (its first bytes ``head``) is longer than the limit: find its end window by
        window without holding it, report it (a blank one is skipped), return where the next line starts."""
        n = len(src)
        blank = not head.translate(None, JSON_WS)
        end = pos + len(head)
        while end < n:
            chunk = bytes(src[end : end + WINDOW])
            nl = chunk.find(b"\n")
            if blank:
                blank = not (chunk if nl < 0 else chunk[:nl]).translate(None, JSON_WS)
            if nl >= 0:
                end += nl + 1
                break
            end += len(chunk)
        self.lineno += 1
        if not blank:
            self.kernel.bad(
                too_long(self.limit),
                head[: min(KEEP_RAW, self.limit + 1)],
                self.errors,
                self.out,
                line=self.lineno,
                offset=pos,
            )
        return end


def _long_lines(data: bytes | bytearray, pos: int = 0, sample: int = 32, long: int = 1024) -> bool:
    """Whether the first ``sample`` lines average over ``long`` bytes (a sample, not another full pass)."""
    start = pos
    for _ in range(sample):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return pos == start or len(data) - start > long * sample
        pos = nl + 1
    return pos - start > long * sample


def decode_lines_exact(
    data: bytes | bytearray,
    pos: int,
    n: int,
    lineno: int,
    out: list[Any],
    errors: str,
    bad_utf8: bool,
    kernel: Kernel,
    base: int = 0,
    surrogates: bool = False,
    limit: int = DEFAULT_MAX_LINE_SIZE,
) -> int:
    """Lines of ``data[pos:n]`` (line ``lineno + 1`` first), one reused-decoder call each over zero-copy
    slices, appended to ``out``; errors located by line and byte offset (``base`` + position). ``bad_utf8``:
    the region holds invalid UTF-8, so every line is checked (msgspec does not check the bytes of fields it
    skips). Blank lines (JSON whitespace only: space, tab, CR, LF) are skipped, however long; any other line
    longer than ``limit`` bytes (before its LF) is a bad one. Returns the last line number."""
    view = memoryview(data)
    one = kernel.one
    find = data.find
    append = out.append
    utf8_checked = not bad_utf8
    while pos < n:
        nl = find(b"\n", pos, n)
        if nl < 0:
            nl = n
        lineno += 1
        if nl == pos:  # an empty line; a long run of them is skipped by galloping memcmp, not line by line
            end = pos + 1
            if data.startswith(LFS[6], end, n):
                end = skip_lf_run(data, end, n)
                lineno += end - pos - 1
            pos = end
            continue
        if nl - pos > limit:  # too long: reported with its first bytes (a blank one is skipped)
            if not is_blank(data, pos, nl):
                kernel.bad(
                    too_long(limit),
                    bytes(view[pos : pos + min(KEEP_RAW, limit + 1)]),
                    errors,
                    out,
                    line=lineno,
                    offset=base + pos,
                )
            pos = nl + 1
            continue
        if data[pos] != 123:  # not "{": a blank line, or a bad one
            if data[pos] in JSON_WS_SET:  # blank lines (" \n", "\r\n" ...): the whole run skipped at once
                m = NONBLANK.search(data, pos, n)
                stop = n if m is None else m.start()
                if stop >= nl:
                    last = data.rfind(b"\n", nl, stop) if stop > nl else -1
                    if last > nl:
                        lineno += data.count(b"\n", nl + 1, last + 1)
                        nl = last
                    pos = nl + 1
                    continue
            raw = bytes(view[pos:nl])
            if not raw.strip(JSON_WS):
                pos = nl + 1
                continue
        try:
            append(one(view[pos:nl], utf8_checked))
        except DecodeError as err:
            raw = bytes(view[pos:nl])
            raw = raw[:-1] if raw.endswith(b"\r") else raw
            if surrogates and err.msg.startswith("invalid UTF-8"):
                err = DecodeError(f"invalid text: a lone surrogate ({err.msg})", pos=err.pos)
            kernel.bad(err, raw, errors, out, line=lineno, offset=base + pos)
        pos = nl + 1
    return lineno


def decode_lines_raw(kernel: Kernel, buf: Any, errors: str, max_line_size: int = DEFAULT_MAX_LINE_SIZE) -> list[Any]:
    """``decode_lines`` with ``raw=True``: Framed pairs, one per non-blank line, the same events and errors."""
    check_errors(errors)
    check_line_size(max_line_size)
    src, surrogates = source(buf)
    if isinstance(src, bytearray):
        src = bytes(src)  # (the raw slices are bytes; the caller's buffer may change afterwards)
    return paused(len(src), _raw_lines, kernel, src, errors, surrogates, max_line_size)  # type: ignore[no-any-return]


def _raw_lines(kernel: Kernel, src: bytes | memoryview, errors: str, surrogates: bool, max_line_size: int) -> list[Any]:
    out: list[Any] = []
    skip = 3 if src[:3] == BOM else 0
    if not isinstance(src, memoryview):
        _raw_region(kernel, src, 0, 0, errors, surrogates, out, skip, max_line_size)
        return out
    n = len(src)  # read window by window, as decode_lines does: at most one window is copied at a time
    pos = skip
    lineno = 0
    while pos < n:
        chunk = bytes(src[pos : pos + WINDOW])
        end = chunk.rfind(b"\n") + 1 if pos + len(chunk) < n else len(chunk)
        while not end:  # a line longer than the window
            if len(chunk) > max_line_size:  # too long: found to its end, never held whole (as decode_lines)
                kept: list[Any] = []
                lines = _Lines(kernel, kept, errors, surrogates, max_line_size)
                lines.lineno = lineno
                pos = lines.skip_long(src, pos, chunk)
                lineno = lines.lineno
                out += [Framed(bad, bad.raw) for bad in kept]
                break
            seen, chunk = len(chunk), grown(src, pos, len(chunk), max_line_size)
            end = chunk.rfind(b"\n", seen) + 1 if pos + len(chunk) < n else len(chunk)
        else:
            lineno = _raw_region(
                kernel,
                chunk[:end] if end < len(chunk) else chunk,
                pos,
                lineno,
                errors,
                surrogates,
                out,
                0,
                max_line_size,
            )
            pos += end
    return out


def _raw_region(
    kernel: Kernel,
    data: bytes,
    base: int,
    lineno: int,
    errors: str,
    surrogates: bool,
    out: list[Any],
    skip: int,
    limit: int = DEFAULT_MAX_LINE_SIZE,
) -> int:
    """Framed pairs for the lines of ``data`` (input offset ``base``, its first line is ``lineno + 1``; its
    first ``skip`` bytes are a BOM) appended to ``out``; returns the number of the last line."""
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()  # the line end of the last line (or an empty input)
    if skip and lines:
        lines[0] = lines[0][skip:]
    raws = lines
    if data.find(b"\r") >= 0:  # CRLF line ends: the CR is no part of the line
        raws = [line[:-1] if line[-1:] == b"\r" else line for line in lines]
    direct = not surrogates and can_decode_directly(data)
    pieces = lines
    long: set[int] = set()
    if len(data) > limit and max(map(len, lines)) > limit:  # lines over max_line_size: bad lines, not decoded
        long = {i for i, line in enumerate(lines) if len(line) > limit}
        pieces = [b"" if i in long else line for i, line in enumerate(lines)]  # (b"" fails: fail() reports it)
    located = [0, base + skip]  # (line index, its offset): offsets are summed from the last one found

    def fail(i: int, raw: bytes) -> Framed[Any] | None:
        line = lines[i]
        if i in long:
            if is_blank(line, 0, len(line)):
                return None
            return bad_framed(
                kernel,
                too_long(limit),
                line[: min(KEEP_RAW, limit + 1)],
                errors,
                line=lineno + i + 1,
                offset=_offset(i),
            )
        if not line.strip(JSON_WS):
            return None  # a blank line
        try:
            return Framed(kernel.one(line, direct), raw)
        except DecodeError as err:
            if surrogates and err.msg.startswith("invalid UTF-8"):
                err = DecodeError(f"invalid text: a lone surrogate ({err.msg})", pos=err.pos)
            return bad_framed(kernel, err, raw, errors, line=lineno + i + 1, offset=_offset(i))

    def _offset(i: int) -> int:
        j, offset = located
        offset += sum(map(len, lines[j:i])) + i - j
        located[:] = [i, offset]
        return offset

    frame_all(kernel.decoder.decode if direct else kernel.one, pieces, raws, fail, out)
    return lineno + len(lines)
