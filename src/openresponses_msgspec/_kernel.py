"""The kernel: one payload -> one value, and the strict/replace policy, written once for every framer.

The fast path is one reused ``msgspec.json.Decoder`` call per event over a zero-copy memoryview slice, or one
``decode_lines`` call per cache-sized window of lines when a counting proof (:meth:`Kernel.prove`) shows it
gives the line-by-line answer. Anything that fails there (an unknown tag, bad JSON, a wrong type) is handled
afterwards, for that event alone, by the slow path in ``_lenient``: clean batches never pay for it.

Framers (``_ndjson``, ``_array``, ``_sse``) find payload slices and hand them with their line/offset/index to
a :class:`Kernel` (or a :class:`RawKernel` for ``raw=True``); the kernel never looks at framing. The default
kernel (the full model) is built here, :data:`DEFAULT`, so no framer needs the public ``Decoder``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from typing import Any, Generic, Literal, NamedTuple, TypeVar, cast

import msgspec

from . import _scan
from ._bytes import BYTE_POS, JSON_WS, RAW_ARRAY, count_newlines, utf8_error
from ._errors import DecodeError, InvalidEvent, UnknownEvent, kept_raw
from ._gc import run_paused
from ._lenient import decode_struct, probe_tag
from ._models import EVENT_TYPES, StreamEvent
from ._projection import Skipped, View

__all__ = [
    "DEFAULT",
    "Buffer",
    "DecoderBase",
    "Errors",
    "Event",
    "Framed",
    "Kernel",
    "RawKernel",
    "as_bytes",
    "check_errors",
    "encode",
    "frame_all",
    "paused",
    "source",
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
MSGSPEC_ERRORS = (msgspec.ValidationError, msgspec.DecodeError)


def check_errors(errors: str) -> None:
    """The ``errors=`` argument every reader takes: ``"strict"`` raises on the first bad event, ``"replace"``
    keeps an :class:`InvalidEvent` in its place (:meth:`Kernel.bad` applies it)."""
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


def utf8_decode_error(err: UnicodeDecodeError) -> DecodeError:
    return DecodeError(f"invalid UTF-8: {err.reason} (byte {err.start})", pos=err.start)


# -- the kernel ------------------------------------------------------------------------------------------

_TOO_DEEP = "nesting too deep"
# With sys.getrecursionlimit() above this, msgspec could overflow the C stack before Python's limit stops it
# (a segfault from ~30,000 levels on an 8 MiB stack): payloads are then checked for depth first.
GUARD_ABOVE = 10_000
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

    __slots__ = ("types", "decoder", "_lines", "array_decoder", "raw_array_decoder")

    def __init__(self, union: Any, types: Mapping[str, type[msgspec.Struct]]) -> None:
        self.types = types
        self.decoder = msgspec.json.Decoder(union)  # one event, strict: the fast path
        self._lines = self.decoder.decode_lines
        # a whole clean JSON array at once (list[union]: a type built at run time, which pyright cannot read)
        self.array_decoder: msgspec.json.Decoder[list[Any]] = msgspec.json.Decoder(list[union])  # pyright: ignore[reportInvalidTypeForm]
        self.raw_array_decoder = RAW_ARRAY  # an array's elements, undecoded

    def one(self, data: bytes | bytearray | memoryview, utf8_checked: bool = False) -> Any:
        """Decode one payload: a typed event, :class:`UnknownEvent`, or what the union holds. Raises only
        :class:`DecodeError` (unlocated). ``utf8_checked``: the caller has proved ``data`` valid UTF-8."""
        if not utf8_checked and (type(data) is memoryview or not data.isascii()):
            bad = utf8_error(data)
            if bad is not None:
                raise utf8_decode_error(bad)
        if sys.getrecursionlimit() > GUARD_ABOVE and too_deep(data):
            raise _deep_error()
        try:
            return self.decoder.decode(data)
        except MSGSPEC_ERRORS as exc:
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
                return self.decoder.decode(data)
            except MSGSPEC_ERRORS as e:
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
        if sys.getrecursionlimit() > GUARD_ABOVE and too_deep(memoryview(data)[pos:end]):
            return None
        return proof

    def bulk_joined(self, body: bytes, count: int) -> list[Any] | None:
        """The values of ``body``, ``count`` lines each ``{...}`` (none empty, valid UTF-8; what
        ``_scan.sse_frames`` returns), one per line: one ``decode_lines`` call, whose result is line-exact iff
        it holds ``count`` values (a value cannot span ``}\n{``). ``None``: go payload by payload."""
        if sys.getrecursionlimit() > GUARD_ABOVE and too_deep(body):
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
            p = BYTE_POS.search(str(exc))
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
        located = err.relocated(line=line, offset=offset, index=index, raw=raw)
        if errors == "strict":
            raise located from None
        out.append(InvalidEvent(located, raw, line=line, offset=offset, index=index))


# -- original bytes (raw=True) -----------------------------------------------------------------------------
#
# Each event is decoded from its own slice (the NDJSON line, the array element, the SSE payload), and paired
# with that slice, in C-level loops: one ``split`` gives the lines, ``map(decoder.decode, lines)`` decodes
# them, ``zip`` pairs them and ``tuple.__new__`` makes the Framed tuples. No counting proof is needed (every
# slice is one event by construction), which pays for the bytes and tuples: a slice the fast decoder rejects
# (an unknown tag, a blank line, a bad event) is handed to ``fail`` alone, and the loop goes on after it.

_FRAME_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError, DecodeError)
_new = cast("Callable[[type[Framed[Any]], tuple[Any, bytes]], Framed[Any]]", tuple.__new__)


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


def can_decode_directly(data: bytes | bytearray, valid_utf8: bool | None = None) -> bool:
    """Whether msgspec's own decoder may decode the slices of ``data`` straight away: valid UTF-8 (msgspec
    does not check the bytes of the fields it skips) and the recursion limit not raised (the depth guard)."""
    if sys.getrecursionlimit() > GUARD_ABOVE:
        return False
    if valid_utf8 is not None:
        return valid_utf8
    return data.isascii() or _scan.utf8_valid(data, 0, len(data))


class RawKernel:
    """A kernel whose results are :class:`Framed` pairs: ``one`` pairs the event with the payload's bytes,
    ``bad`` pairs the InvalidEvent with its. What a framer (the SSE decoder) uses in ``raw=True`` mode."""

    __slots__ = ("inner",)

    def __init__(self, inner: Kernel) -> None:
        self.inner = inner

    def one(self, data: bytes | bytearray | memoryview, utf8_checked: bool = False) -> Framed[Any]:
        return _new(Framed, (self.inner.one(data, utf8_checked), bytes(data)))

    def bad(self, err: DecodeError, raw: bytes, errors: str, out: list[Any], **where: int | None) -> None:
        out.append(bad_framed(self.inner, err, raw, errors, **where))

    def frames(self, pieces: list[bytes]) -> list[Any] | None:
        """Framed pairs for payloads known to be one event each (valid UTF-8), or ``None`` when one of them
        does not decode (a bad event, ``[DONE]``): the framer then goes payload by payload, exactly."""
        kernel = self.inner
        if sys.getrecursionlimit() > GUARD_ABOVE:
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
            frame_all(kernel.decoder.decode, pieces, pieces, fail, out)
        except _Abort:
            return None
        return out


def bad_framed(kernel: Kernel, err: DecodeError, raw: bytes, errors: str, **where: int | None) -> Framed[Any]:
    """The kernel's policy for a bad payload (raise located, or an InvalidEvent), paired with its bytes."""
    kept: list[Any] = []
    kernel.bad(err, raw, errors, kept, **where)
    return Framed(kept[0], raw)


def framed_pairs(events: list[Any], raws: list[bytes]) -> list[Any]:
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


# -- the default kernel and what holds one -----------------------------------------------------------------

Event = StreamEvent | UnknownEvent
"""What the default decoder returns for one event: a typed event, or :class:`UnknownEvent` for a new type."""

DEFAULT = Kernel(StreamEvent, EVENT_TYPES)
"""The kernel of ``Decoder()`` and of the module-level functions: the full model, snake_case names."""


class DecoderBase(Generic[E_co]):
    """The base of the public ``Decoder[E]``: its kernel, and (as the type parameter) what it decodes to.
    What a framer takes as ``decoder=``, so that framers never import the public layer."""

    __slots__ = ("_kernel",)

    _kernel: Kernel
