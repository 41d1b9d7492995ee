"""The kernel (one payload -> one value, the error policy) and the NDJSON / JSON-array framing.

The fast path is one reused ``msgspec.json.Decoder`` call per event over a zero-copy memoryview slice, or
one ``decode_lines`` call per cache-sized window of NDJSON when a counting proof shows it gives the
line-by-line answer. Anything that fails there (an unknown tag, bad JSON, a wrong type) is handled
afterwards, for that event alone, by the slow path in ``_lenient``: clean batches never pay for it.

Layering: framing (NDJSON windows here, SSE in ``_sse``) finds payload slices and hands them with their
line/offset/index to a :class:`Kernel`; the kernel never looks at framing.
"""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import msgspec

from . import _scan
from ._errors import DecodeError, InvalidEvent, UnknownEvent, kept_raw
from ._gc import run_paused
from ._lenient import decode_struct, probe_tag
from ._projection import Skipped, View

__all__ = [
    "DEFAULT_MAX_LINE_SIZE",
    "Buffer",
    "Errors",
    "Framed",
    "Kernel",
    "RawKernel",
    "as_bytes",
    "check_errors",
    "encode",
]

Buffer = bytes | bytearray | memoryview | str
Errors = Literal["strict", "replace"]
E_co = TypeVar("E_co", covariant=True)


class Framed(NamedTuple, Generic[E_co]):
    """One decoded event beside the bytes it was decoded from (what ``raw=True`` returns).

    ``raw`` is the event's own bytes as received, without its framing: the NDJSON line without its line end
    (LF, or CRLF: one CR before the LF is part of the line end), the SSE event's data (its ``data:`` lines
    joined by ``\\n``, the payload the decoder decoded), the JSON array element's text, the Kafka message value.
    For an :class:`InvalidEvent` it is the event's ``.raw``. Writing ``raw`` back unchanged loses nothing:
    unknown fields, explicit nulls, number spellings and key order stay as the producer wrote them.
    """

    event: E_co
    raw: bytes


DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)  # msgspec raises the last
# one for invalid UTF-8 inside a string it decodes (but does not check the bytes of fields it skips)
_MsgspecErrors = (msgspec.ValidationError, msgspec.DecodeError)
JSON_WS = b" \t\r\n"
_JSON_WS_SET = frozenset(JSON_WS)
WINDOW = 1 << 18  # bytes per msgspec decode_lines call: the passes over a window then run in cache
DEFAULT_MAX_LINE_SIZE = 64 * 1024 * 1024  # NDJSON: the longest line decoded (as SSE's DEFAULT_MAX_EVENT_SIZE)
KEEP_RAW = 1024  # bytes of an over-long line kept in its error (as SSE keeps of an oversized event)


# -- bytes helpers shared by the framers -------------------------------------------------------------------


def check_errors(errors: str) -> None:
    if errors not in ("strict", "replace"):
        raise ValueError(f"errors must be 'strict' or 'replace', not {errors!r}")


def as_bytes(buf: Buffer) -> bytes | bytearray:
    """bytes/bytearray unchanged; str encoded; a memoryview flattened (it has no ``find``)."""
    if isinstance(buf, (bytes, bytearray)):
        return buf
    if isinstance(buf, str):
        try:
            return buf.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates cannot be valid UTF-8 JSON
            raise DecodeError(f"invalid text: {exc.reason} (character {exc.start})", pos=exc.start) from None
    if isinstance(buf, memoryview):
        return buf.tobytes()
    raise TypeError(f"expected bytes, bytearray, memoryview or str, not {type(buf).__name__}")


def utf8_error(data: Any, final: bool = True) -> UnicodeDecodeError | None:
    """The first invalid UTF-8 sequence in ``data``, if any (msgspec skips unknown fields unchecked). With
    ``final=False`` an incomplete sequence at the very end is not an error (the next chunk may complete it)."""
    try:
        codecs.utf_8_decode(data, "strict", final)
    except UnicodeDecodeError as exc:
        return exc
    return None


def utf8_valid(data: bytes | bytearray, final: bool = True, window: int = 1 << 18) -> bool:
    """Whether ``data`` is valid UTF-8, checked in windows: decoding a big buffer at once builds one huge
    ``str`` (4 bytes a character once a CJK character occurs), several times slower than cache-sized pieces."""
    if len(data) <= window:
        return utf8_error(data, final) is None
    dec = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(0, len(data), window):
            dec.decode(view[i : i + window])
        if final:
            dec.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def utf8_decode_error(err: UnicodeDecodeError) -> DecodeError:
    return DecodeError(f"invalid UTF-8: {err.reason} (byte {err.start})", pos=err.start)


def count_newlines(data: bytes | bytearray, pos: int, end: int) -> int:
    """``data.count(b"\\n", pos, end)``, five times faster: CPython's one-byte ``count`` is a plain loop, while
    deleting a byte with ``replace`` runs on ``memchr`` and ``memcpy`` (measured on 256 KiB windows)."""
    window = data[pos:end]
    return len(window) - len(window.replace(b"\n", b""))


# -- the kernel ------------------------------------------------------------------------------------------

_TOO_DEEP = "nesting too deep"
# With sys.getrecursionlimit() above this, msgspec could overflow the C stack before Python's limit stops it
# (a segfault from ~30,000 levels on an 8 MiB stack): payloads are then checked for depth first.
_GUARD_ABOVE = 10_000
_MAX_DEPTH = 10_000
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"?')
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")
_TAG_ERROR = re.compile(r"^Invalid value '([^'\\]*)' - at `\$\[(\d+)\]((?:\.\w+|\[\d+\])*)\.type`$")
_INDEX = re.compile(r" - at `\$\[(\d+)\]")


def too_deep(data: Any) -> bool:
    """Whether ``data`` nests deeper than ``_MAX_DEPTH`` (only asked when the recursion limit is raised)."""
    if len(data) <= _MAX_DEPTH:
        return False
    raw = bytes(data)
    if raw.count(b"[") + raw.count(b"{") <= _MAX_DEPTH:
        return False
    depth = deepest = 0
    for c in _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", raw)):
        if c in (91, 123):
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest > _MAX_DEPTH


def _deep_error() -> DecodeError:
    return DecodeError(
        f"{_TOO_DEEP}: JSON nesting exceeds what the recursion limit ({sys.getrecursionlimit()}) allows here"
    )


class BulkFailure(Exception):
    """A bulk decode whose counting proof held but whose msgspec call failed: ``index`` is the failing value
    (0-based, among the segment's values) or ``pos`` a byte inside the failing line; ``needle`` a byte
    string found in lines that will fail again (an unknown tag), when the error names one."""

    def __init__(self, index: int | None, pos: int | None, needle: bytes | None) -> None:
        self.index = index
        self.pos = pos
        self.needle = needle


class Kernel:
    """One payload -> one value, and the strict/replace policy; owned by a ``Decoder``.

    ``types`` maps each tag the union knows to its class (what the slow path decodes a rejected event as);
    ``union`` is the msgspec type of one event.
    """

    __slots__ = ("types", "_dec", "_lines", "_array", "_raw_array")

    def __init__(self, union: Any, types: dict[str, type[msgspec.Struct]]) -> None:
        self.types = types
        self._dec = msgspec.json.Decoder(union)
        self._lines = self._dec.decode_lines
        self._array = msgspec.json.Decoder(list[union])
        self._raw_array = msgspec.json.Decoder(list[msgspec.Raw])

    def one(self, data: bytes | bytearray | memoryview, checked: bool = False) -> Any:
        """Decode one payload: a typed event, :class:`UnknownEvent`, or what the union holds. Raises only
        :class:`DecodeError` (unlocated). ``checked``: the caller has proved ``data`` valid UTF-8."""
        if not checked and (type(data) is memoryview or not data.isascii()):
            bad = utf8_error(data)
            if bad is not None:
                raise utf8_decode_error(bad)
        if sys.getrecursionlimit() > _GUARD_ABOVE and too_deep(data):
            raise _deep_error()
        try:
            return self._dec.decode(data)
        except _MsgspecErrors as exc:
            first: Exception = exc
        except RecursionError:
            raise _deep_error() from None
        try:
            return self.slow(data, first)
        except RecursionError:
            raise _deep_error() from None

    def slow(self, data: Any, exc: Exception | None = None) -> Any:
        """Decode one event that the strict union rejected (``exc``, when the caller already tried), or raise
        a precise DecodeError. ``data`` is valid UTF-8."""
        if exc is None:
            try:
                return self._dec.decode(data)
            except _MsgspecErrors as e:
                exc = e
        if isinstance(exc, UnicodeDecodeError):
            bad = utf8_error(data)
            raise utf8_decode_error(bad) if bad is not None else DecodeError(str(exc))
        if not isinstance(exc, msgspec.ValidationError):  # (a subclass of msgspec.DecodeError: test it first)
            err = DecodeError._from_msgspec(exc)
            if err.pos is None:  # "Input data was truncated": the value ends where the input does
                err = DecodeError(f"{err.msg} (byte {len(data)})", pos=len(data))
            raise err
        tag = probe_tag(data)
        cls = self.types.get(tag)
        if cls is None:
            return UnknownEvent(tag, bytes(data).strip(JSON_WS))
        return decode_struct(data, cls, failed=exc)

    def bulk_lines(self, data: bytes | bytearray, pos: int, end: int) -> list[Any] | None:
        """msgspec's own ``decode_lines`` over ``data[pos:end]``, when it provably gives the per-line answer
        (see :meth:`bulk`); ``None`` means "go payload by payload". ``data[pos:end]`` must be valid UTF-8."""
        try:
            got = self.bulk(data, pos, end)
        except BulkFailure:
            return None
        return None if got is None else got[0]

    def bulk(
        self, data: bytes | bytearray, pos: int, end: int, proof: tuple[int, int, int] | None | bool = False
    ) -> tuple[list[Any], int] | None:
        """Decode the lines of ``data[pos:end]`` with one msgspec ``decode_lines`` call; return the values and
        the number of newlines, ``None`` when the counting proof does not hold, or raise :class:`BulkFailure`
        when it holds but msgspec rejects a value (an unknown tag, bad JSON, a wrong type).

        The proof. msgspec's ``decode_lines`` is not line-exact (two values on a line, or one value over two
        lines, pass). But if every newline in the region (before its trailing whitespace) stands between a
        ``}`` and a ``{``, or is one of the two newlines of a ``}\\n\\n{`` (an empty line), which is checked by
        counting those patterns, then every non-empty line starts with ``{`` and ends with ``}`` (a raw newline
        cannot occur inside a JSON string), so no value can span lines: ``}`` then ``{`` never occurs inside
        one value. Each non-empty line then holds at least one value, and as many values as non-empty lines
        means exactly one per line. ``data[pos:end]`` must be valid UTF-8. ``proof``: what ``_scan`` said
        for this region, when the caller asked it already.
        """
        proof = self.prove(data, pos, end, proof)
        if proof is None:
            return None
        last, newlines, blank = proof
        events = self._decode(data, pos, end)
        if len(events) != newlines - blank + 1:
            return None
        return events, newlines + data.count(b"\n", last, end)  # (a few bytes: the plain count is fine)

    def prove(
        self, data: bytes | bytearray, pos: int, end: int, proof: tuple[int, int, int] | None | bool = False
    ) -> tuple[int, int, int] | None:
        """The counting proof of :meth:`bulk` for ``data[pos:end]``: ``(last, newlines, empty lines)``, where
        ``last`` ends the region before its trailing whitespace, or ``None`` when it does not hold (see
        ``_scan.prove_lines``: the C scanner, or its pure-Python twin). ``proof``: what ``_scan`` already
        said for this region (``False``: not asked yet)."""
        if proof is False:
            proof = _scan.prove_lines(data, pos, end)
        if proof is None or proof is True:
            return None
        if sys.getrecursionlimit() > _GUARD_ABOVE and too_deep(memoryview(data)[pos:end]):
            return None
        return proof

    def bulk_joined(self, body: bytes, count: int) -> list[Any] | None:
        """The values of ``body``, ``count`` lines each ``{...}`` (none empty, valid UTF-8; what
        ``_scan.sse_frames`` returns), one per line: one ``decode_lines`` call, whose result is line-exact iff
        it holds ``count`` values (a value cannot span ``}\n{``). ``None``: go payload by payload."""
        if sys.getrecursionlimit() > _GUARD_ABOVE and too_deep(body):
            return None
        try:
            events = self._decode(body, 0, len(body))
        except BulkFailure:
            return None
        return events if len(events) == count else None

    def bulk_proven(
        self, data: bytes | bytearray, pos: int, end: int, proof: tuple[int, int, int]
    ) -> tuple[list[Any], int] | None:
        """Like :meth:`bulk` for ``data[pos:end]``, whole lines of a region :meth:`prove` gave ``proof`` for
        (no second proof): before the region's trailing whitespace every line is ``{...}`` or empty."""
        last, _, blank = proof
        events = self._decode(data, pos, end)
        inner = min(end, last)
        newlines = count_newlines(data, pos, inner)
        values = newlines + (data[inner - 1] != 10)
        if blank:
            starts_empty = data[pos] == 10 or data[pos : pos + 2] == b"\r\n"
            values -= data.count(b"\n\n", pos, inner) + data.count(b"\n\r\n", pos, inner) + starts_empty
        if end > inner:
            newlines += data.count(b"\n", inner, end)
        return (events, newlines) if len(events) == values else None

    def _decode(self, data: bytes | bytearray, pos: int, end: int) -> list[Any]:
        """msgspec ``decode_lines`` over ``data[pos:end]``; a failure as :class:`BulkFailure`."""
        try:
            events = self._lines(memoryview(data)[pos:end])
        except msgspec.ValidationError as exc:
            msg = str(exc)
            m = _TAG_ERROR.match(msg)
            if m is not None:
                raise BulkFailure(int(m.group(2)), None, b'"type":"' + m.group(1).encode() + b'"') from None
            i = _INDEX.search(msg)
            raise BulkFailure(int(i.group(1)) if i else None, None, None) from None
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            p = _POS.search(str(exc))
            raise BulkFailure(None, pos + int(p.group(1)) if p else None, None) from None
        except RecursionError:
            raise BulkFailure(None, None, None) from None
        return events

    def bad(
        self,
        err: DecodeError,
        raw: bytes,
        errors: str,
        out: list[Any],
        *,
        line: int | None = None,
        offset: int | None = None,
        index: int | None = None,
    ) -> None:
        """The policy for a bad payload: raise ``err`` located (strict), or keep an InvalidEvent in place."""
        located = err._located(line=line, offset=offset, index=index, raw=raw)
        if errors == "strict":
            raise located from None
        out.append(InvalidEvent(located, raw, line=line, offset=offset, index=index))


_POS = re.compile(r"\(byte (\d+)\)$")


# -- NDJSON framing ---------------------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
_MAX_FAILS = 4  # failed bulk calls per window before the rest of it goes line by line (each rescans it)


def source(buf: Any) -> tuple[bytes | bytearray | memoryview, bool]:
    """The bytes behind ``buf`` without copying them (a ``str`` is encoded), and whether a ``str`` held lone
    surrogates (encoded as such: the lines holding them are then invalid UTF-8, and only they fail).
    Any object with the buffer protocol (``mmap``, ``array``) is read through a memoryview."""
    if isinstance(buf, (bytes, bytearray)):
        return buf, False
    if isinstance(buf, str):
        try:
            return buf.encode("utf-8"), False
        except UnicodeEncodeError:
            return buf.encode("utf-8", "surrogatepass"), True
    try:
        view = memoryview(buf)
    except TypeError:
        raise TypeError(
            f"expected bytes, bytearray, str or another buffer (memoryview, mmap), not {type(buf).__name__}"
        ) from None
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    return view, False


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
    pos = 3 if src[:3] == _BOM else 0  # a UTF-8 BOM at the start is no part of line 1
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
        self.lineno = _decode_lines_exact(
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


def is_blank(data: bytes | bytearray, pos: int, end: int) -> bool:
    """Whether ``data[pos:end]`` is JSON whitespace only (looked at 64 KiB at a time: a long line is not copied
    whole, and a non-blank one is known from its first piece)."""
    for i in range(pos, end, 1 << 16):
        if data[i : min(end, i + (1 << 16))].translate(None, JSON_WS):
            return False
    return True


_NONBLANK = re.compile(rb"[^ \t\r\n]")
_LFS = tuple(b"\n" * (1 << k) for k in range(13))  # runs of empty lines, compared 2**k bytes at a time


def _decode_lines_exact(
    data: bytes | bytearray,
    pos: int,
    n: int,
    lineno: int,
    out: list[Any],
    errors: str,
    bad_utf8: bool,
    kernel: Kernel | None = None,
    base: int = 0,
    surrogates: bool = False,
    limit: int = DEFAULT_MAX_LINE_SIZE,
) -> int:
    """Lines of ``data[pos:n]`` (line ``lineno + 1`` first), one reused-decoder call each over zero-copy
    slices, appended to ``out``; errors located by line and byte offset (``base`` + position). ``bad_utf8``:
    the region holds invalid UTF-8, so every line is checked (msgspec does not check the bytes of fields it
    skips). Blank lines (JSON whitespace only: space, tab, CR, LF) are skipped, however long; any other line
    longer than ``limit`` bytes (before its LF) is a bad one. Returns the last line number."""
    if kernel is None:
        from ._decoder import _DEFAULT

        kernel = _DEFAULT._kernel
    view = memoryview(data)
    one = kernel.one
    find = data.find
    append = out.append
    checked = not bad_utf8
    while pos < n:
        nl = find(b"\n", pos, n)
        if nl < 0:
            nl = n
        lineno += 1
        if nl == pos:  # an empty line; a long run of them is skipped by galloping memcmp, not line by line
            end = pos + 1
            if data.startswith(_LFS[6], end, n):
                for k in range(12, -1, -1):
                    while data.startswith(_LFS[k], end, n):
                        end += 1 << k
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
            if data[pos] in _JSON_WS_SET:  # blank lines (" \n", "\r\n" ...): the whole run skipped at once
                m = _NONBLANK.search(data, pos, n)
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
            append(one(view[pos:nl], checked))
        except DecodeError as err:
            raw = bytes(view[pos:nl])
            raw = raw[:-1] if raw.endswith(b"\r") else raw
            if surrogates and err.msg.startswith("invalid UTF-8"):
                err = DecodeError(f"invalid text: a lone surrogate ({err.msg})", pos=err.pos)
            kernel.bad(err, raw, errors, out, line=lineno, offset=base + pos)
        pos = nl + 1
    return lineno


# -- original bytes (raw=True) -----------------------------------------------------------------------------
#
# Each event is decoded from its own slice (the NDJSON line, the array element, the SSE payload), and paired
# with that slice, in C-level loops: one ``split`` gives the lines, ``map(decoder.decode, lines)`` decodes
# them, ``zip`` pairs them and ``tuple.__new__`` makes the Framed tuples. No counting proof is needed (every
# slice is one event by construction), which pays for the bytes and tuples: a slice the fast decoder rejects
# (an unknown tag, a blank line, a bad event) is handed to ``fail`` alone, and the loop goes on after it.

_FRAME_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError, DecodeError)
_new = tuple.__new__


def paused(size: int, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with the cyclic collector paused (``_gc.run_paused``) for inputs of ``size`` >= 256 KiB.

    Why: the Framed tuples hold events (GC types), so each is tracked (a tuple subclass is never untracked),
    while the events themselves are not (msgspec untracks them). Building N of them trips a young collection
    every 700 allocations and, as they survive, full collections whose cost grows with the whole heap (2-4x
    the decoding time in a process holding a big corpus). Pairing creates no cycles, so none of that walking
    can free anything. A small call (a live stream's chunk) costs the collector little and is not paused."""
    if size < _PAUSE_FROM:
        return fn(*args)
    return run_paused(fn, *args)


_PAUSE_FROM = 1 << 18  # input bytes from which the collector is paused (about 1,400 text-corpus events)


class _Abort(Exception):
    """A ``fail`` callback gives up on the whole run (the caller then decodes it another way)."""


def frame_all(
    decode: Callable[[Any], Any],
    pieces: Iterable[Any],
    raws: Iterable[bytes],
    fail: Callable[[int, bytes], Framed[Any] | None],
    out: list[Any],
) -> None:
    """Append ``Framed(decode(piece), raw)`` to ``out`` for each piece and its raw bytes, in order. A piece
    that ``decode`` rejects goes to ``fail(i, raw)`` (``i``: its 0-based position among the pieces), which
    returns what stands in its place, ``None`` to skip it, or raises."""
    it = iter(raws)
    pairs = map(_new, repeat(Framed), zip(map(decode, pieces), it, strict=False))
    done = 0  # pieces consumed
    while True:
        before = len(out)
        try:
            out.extend(pairs)  # (on an exception, what came before it stays appended)
            return
        except _FRAME_ERRORS:
            done += len(out) - before
            got = fail(done, next(it))
            done += 1
            if got is not None:
                out.append(got)


def _fast(data: bytes | bytearray, valid_utf8: bool | None = None) -> bool:
    """Whether msgspec's own decoder may decode the slices of ``data`` straight away: valid UTF-8 (msgspec
    does not check the bytes of the fields it skips) and the recursion limit not raised (the depth guard)."""
    if sys.getrecursionlimit() > _GUARD_ABOVE:
        return False
    if valid_utf8 is not None:
        return valid_utf8
    return data.isascii() or utf8_valid(data)


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
    skip = 3 if src[:3] == _BOM else 0
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
    checked = not surrogates and _fast(data)
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
            return _bad(
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
            return Framed(kernel.one(line, checked), raw)
        except DecodeError as err:
            if surrogates and err.msg.startswith("invalid UTF-8"):
                err = DecodeError(f"invalid text: a lone surrogate ({err.msg})", pos=err.pos)
            return _bad(kernel, err, raw, errors, line=lineno + i + 1, offset=_offset(i))

    def _offset(i: int) -> int:
        j, offset = located
        offset += sum(map(len, lines[j:i])) + i - j
        located[:] = [i, offset]
        return offset

    frame_all(kernel._dec.decode if checked else kernel.one, pieces, raws, fail, out)
    return lineno + len(lines)


class RawKernel:
    """A kernel whose results are :class:`Framed` pairs: ``one`` pairs the event with the payload's bytes,
    ``bad`` pairs the InvalidEvent with its. What a framer (the SSE decoder) uses in ``raw=True`` mode."""

    __slots__ = ("inner",)

    def __init__(self, inner: Kernel) -> None:
        self.inner = inner

    def one(self, data: bytes | bytearray | memoryview, checked: bool = False) -> Framed[Any]:
        return _new(Framed, (self.inner.one(data, checked), bytes(data)))

    def bad(self, err: DecodeError, raw: bytes, errors: str, out: list[Any], **where: int | None) -> None:
        kept: list[Any] = []
        self.inner.bad(err, raw, errors, kept, **where)
        out.append(Framed(kept[0], raw))

    def frames(self, pieces: list[bytes]) -> list[Any] | None:
        """Framed pairs for payloads known to be one event each (valid UTF-8), or ``None`` when one of them
        does not decode (a bad event, ``[DONE]``): the framer then goes payload by payload, exactly."""
        kernel = self.inner
        if sys.getrecursionlimit() > _GUARD_ABOVE:
            return None
        if pieces and type(pieces[0]) is not bytes:  # (slices of a bytearray chunk)
            pieces = list(map(bytes, pieces))

        def fail(i: int, raw: bytes) -> Framed[Any] | None:
            try:
                return Framed(kernel.one(raw, True), raw)  # an unknown tag, a lenient decode
            except DecodeError:
                raise _Abort from None

        out: list[Any] = []
        try:
            frame_all(kernel._dec.decode, pieces, pieces, fail, out)
        except _Abort:
            return None
        return out


def _bad(kernel: Kernel, err: DecodeError, raw: bytes, errors: str, **where: int) -> Framed[Any]:
    """The kernel's policy for a bad payload (raise located, or an InvalidEvent), paired with its bytes."""
    kept: list[Any] = []
    kernel.bad(err, raw, errors, kept, **where)
    return Framed(kept[0], raw)


# -- JSON arrays ------------------------------------------------------------------------------------------


def decode_array(kernel: Kernel, buf: Any, errors: str) -> list[Any]:
    check_errors(errors)
    data, _ = source(buf)
    valid_utf8 = (data.isascii() if not isinstance(data, memoryview) else False) or utf8_error(data) is None
    if valid_utf8 and not (sys.getrecursionlimit() > _GUARD_ABOVE and too_deep(data)):
        try:
            return kernel._array.decode(data)
        except _MsgspecErrors:
            pass
        except RecursionError:
            pass
    try:
        items = kernel._raw_array.decode(data)
    except _MsgspecErrors as exc:
        raise DecodeError._from_msgspec(exc) from None
    except RecursionError:  # an element nests deeper than msgspec may go: frame the array without it
        return _deep_array(kernel, data, errors, valid_utf8)
    out: list[Any] = []
    whole = bytes(data) if isinstance(data, memoryview) else data
    at = 0  # where the previous element ended: the next one is the first match after it
    line, counted = 1, 0
    for index, item in enumerate(items):
        raw = bytes(item)
        try:
            out.append(kernel.one(raw, valid_utf8))
        except DecodeError as err:
            offset = whole.find(raw, at)
            line += count_newlines(whole, counted, offset)
            counted = offset
            at = offset + len(raw)
            kernel.bad(err, raw, errors, out, index=index, offset=offset, line=line)
            continue
        at = whole.find(raw, at) + len(raw)
    return out


_ARRAY_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*+"|[\[\]{},]')
_CLOSER = {91: 93, 123: 125}


def _array_elements(data: bytes | bytearray) -> list[tuple[int, int]]:
    """``(start, end)`` of each element of the JSON array ``data``, by matching brackets outside strings (no
    recursion, so any depth); DecodeError when the array itself (brackets, commas, what follows it) is
    malformed. The elements' own syntax is left to the kernel."""
    n = len(data)
    pos = 0
    while pos < n and data[pos] in _JSON_WS_SET:
        pos += 1
    if pos >= n or data[pos] != 91:
        raise DecodeError(f"Expected `array`, got something else (byte {pos})", pos=pos)
    stack = [93]
    elements: list[tuple[int, int]] = []
    start = pos + 1
    expect_value = True  # after "[" or ",": an element must come
    for m in _ARRAY_TOKENS.finditer(data, pos + 1):
        c = data[m.start()]
        if len(stack) > 1:
            if c in _CLOSER:
                stack.append(_CLOSER[c])
            elif c in (93, 125):
                if stack.pop() != c:
                    raise DecodeError(f"JSON is malformed: mismatched bracket (byte {m.start()})", pos=m.start())
            continue
        if c == 44 or c == 93:  # "," or "]" at the top level: the element before it ends here
            end = m.start()
            s0, e0 = start, end
            while s0 < e0 and data[s0] in _JSON_WS_SET:
                s0 += 1
            while e0 > s0 and data[e0 - 1] in _JSON_WS_SET:
                e0 -= 1
            if s0 == e0:
                if not (c == 93 and not elements and expect_value):  # "[]" is fine, "[,", "[1,]" are not
                    raise DecodeError(f"JSON is malformed: invalid character (byte {end})", pos=end)
            else:
                elements.append((s0, e0))
            if c == 93:
                rest = data[end + 1 :].strip(JSON_WS)
                if rest:
                    at = n - len(data[end + 1 :].lstrip(JSON_WS))
                    raise DecodeError(f"JSON is malformed: trailing characters (byte {at})", pos=at)
                return elements
            start = end + 1
        elif c in _CLOSER:
            stack.append(_CLOSER[c])
        elif c == 125:
            raise DecodeError(f"JSON is malformed: mismatched bracket (byte {m.start()})", pos=m.start())
    raise DecodeError(f"Input data was truncated (byte {n})", pos=n)


def _deep_array(kernel: Kernel, data: Any, errors: str, valid_utf8: bool) -> list[Any]:
    """decode_array when an element nests too deep for msgspec's framing: each element on its own (the
    deep one reported as too deep, in place with ``errors="replace"``)."""
    whole = bytes(data) if isinstance(data, memoryview) else data
    out: list[Any] = []
    line, counted = 1, 0
    for index, (start, end) in enumerate(_array_elements(whole)):
        raw = bytes(whole[start:end])
        try:
            out.append(kernel.one(raw, valid_utf8))
        except DecodeError as err:
            line += count_newlines(whole, counted, start)
            counted = start
            kernel.bad(err, raw, errors, out, index=index, offset=start, line=line)
    return out


def decode_array_raw(kernel: Kernel, buf: Any, errors: str) -> list[Any]:
    """``decode_array`` with ``raw=True``: Framed pairs, one per element (its text as in the input)."""
    check_errors(errors)
    data, _ = source(buf)
    valid_utf8 = (data.isascii() if not isinstance(data, memoryview) else False) or utf8_error(data) is None
    try:
        items = kernel._raw_array.decode(data)
    except _MsgspecErrors as exc:
        raise DecodeError._from_msgspec(exc) from None
    except RecursionError:  # an element nests deeper than msgspec may go: framed by matching brackets
        whole = bytes(data) if isinstance(data, memoryview) else data
        raws = [bytes(whole[start:end]) for start, end in _array_elements(whole)]
        return paused(len(data), _pairs, _deep_array(kernel, data, errors, valid_utf8), raws)  # type: ignore[no-any-return]
    raws = list(map(bytes, items))
    del items
    whole = bytes(data) if isinstance(data, memoryview) else data
    located = [0, 0, 1, 0]  # elements located so far, where the next one is searched from, its line, counted

    def fail(i: int, raw: bytes) -> Framed[Any] | None:
        try:
            return Framed(kernel.one(raw, valid_utf8), raw)
        except DecodeError as err:
            k, at, line, counted = located
            for j in range(k, i):  # (the elements before it are found in order, as decode_array does)
                at = whole.find(raws[j], at) + len(raws[j])
            offset = whole.find(raw, at)
            line += count_newlines(whole, counted, offset)
            located[:] = [i + 1, offset + len(raw), line, offset]
            return _bad(kernel, err, raw, errors, index=i, offset=offset, line=line)

    fast = _fast(data, valid_utf8)  # type: ignore[arg-type]
    if fast:  # a clean array: msgspec decodes it in one call, faster than element by element
        try:
            events = kernel._array.decode(data)
        except (*_MsgspecErrors, RecursionError):
            pass
        else:
            if len(events) == len(raws):
                return paused(len(data), _pairs, events, raws)  # type: ignore[no-any-return]
    out: list[Any] = []
    paused(len(data), frame_all, kernel._dec.decode if fast else kernel.one, raws, raws, fail, out)
    return out


def _pairs(events: list[Any], raws: list[bytes]) -> list[Any]:
    return list(map(_new, repeat(Framed), zip(events, raws, strict=True)))


# -- encoding ---------------------------------------------------------------------------------------------


_encoder = msgspec.json.Encoder(enc_hook=kept_raw)  # UnknownValue / InvalidValue: their exact bytes


def encode(event: Any) -> bytes:
    """Encode an event (typed, :class:`UnknownEvent`, or holding :class:`UnknownValue`) to JSON bytes.

    ``decode(encode(e)) == e``; unknown events and values are written back byte for byte.
    """
    if isinstance(event, UnknownEvent):
        return bytes(event.raw)
    if isinstance(event, InvalidEvent):
        raise TypeError("an InvalidEvent holds bytes that are not a valid event; use its .raw")
    if isinstance(event, (Skipped, View)):
        raise TypeError(f"a {type(event).__name__} is a projection, not the whole event: encoding it would lose fields")
    return _encoder.encode(event)
