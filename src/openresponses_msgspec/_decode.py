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
from typing import Any, Literal

import msgspec

from ._errors import DecodeError, InvalidEvent, UnknownEvent, kept_raw
from ._lenient import decode_struct, probe_tag
from ._projection import Skipped, View

__all__ = ["Buffer", "Errors", "Kernel", "as_bytes", "check_errors", "encode"]

Buffer = bytes | bytearray | memoryview | str
Errors = Literal["strict", "replace"]

DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)  # msgspec raises the last
# one for invalid UTF-8 inside a string it decodes (but does not check the bytes of fields it skips)
_MsgspecErrors = (msgspec.ValidationError, msgspec.DecodeError)
JSON_WS = b" \t\r\n"
_JSON_WS_SET = frozenset(JSON_WS)
WINDOW = 1 << 18  # bytes per msgspec decode_lines call: the passes over a window then run in cache


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
        try:
            return self._dec.decode(data)
        except _MsgspecErrors as exc:
            return self.slow(data, exc)

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
        return decode_struct(data, cls)

    def bulk_lines(self, data: bytes | bytearray, pos: int, end: int) -> list[Any] | None:
        """msgspec's own ``decode_lines`` over ``data[pos:end]``, when it provably gives the per-line answer.

        msgspec's version is not line-exact (two values on a line, or one value over two lines, pass). But if
        every line starts with ``{`` and ends with ``}`` (checked by counting ``}\\n{`` boundaries: a raw
        newline cannot occur inside a JSON string), no value can span lines, because a ``{`` can never follow
        a ``}`` inside one object; then as many values as lines means exactly one per line. ``None`` means
        "go payload by payload" (a blank line, an unknown event, a bad line: the caller finds and locates it).
        ``data[pos:end]`` must be valid UTF-8.
        """
        if pos >= end or data[pos] != 123:  # "{"
            return None
        last = end
        while last > pos and data[last - 1] in _JSON_WS_SET:
            last -= 1
        if data[last - 1] != 125:  # "}"
            return None
        boundaries = count_newlines(data, pos, last)
        # The longer pattern is a stricter boundary and found twice as fast (longer skips), so it goes first.
        joined = data.count(b'}\n{"type":"response.', pos, last)
        if joined != boundaries:
            joined = data.count(b"}\n{", pos, last)
        if joined != boundaries:
            joined += data.count(b"}\r\n{", pos, last)
            if joined != boundaries:
                return None
        try:
            events = self._lines(memoryview(data)[pos:end])
        except DECODE_ERRORS:
            return None
        return events if len(events) == boundaries + 1 else None

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


# -- NDJSON framing ---------------------------------------------------------------------------------------


def decode_lines(kernel: Kernel, buf: Buffer, errors: str) -> list[Any]:
    check_errors(errors)
    data = as_bytes(buf)
    check_utf8 = not data.isascii()
    long = _long_lines(data)  # then per-line calls cost little, and bulk decoding's extra passes would not pay
    view = memoryview(data)
    out: list[Any] = []
    n = len(data)
    pos = 0
    lineno = 0
    while pos < n:
        end = n if pos + WINDOW >= n else data.rfind(b"\n", pos, pos + WINDOW) + 1
        if end <= pos:  # a line longer than the window
            end = data.find(b"\n", pos + WINDOW) + 1 or n
        bad_utf8 = check_utf8 and utf8_error(view[pos:end]) is not None
        if not (long or bad_utf8):
            events = kernel.bulk_lines(data, pos, end)
            if events is not None:
                out += events
                lineno += count_newlines(data, pos, end)
                pos = end
                continue
        lineno = _decode_lines_exact(data, pos, end, lineno, out, errors, bad_utf8, kernel)
        pos = end
    return out


def _long_lines(data: bytes | bytearray, sample: int = 32, long: int = 1024) -> bool:
    """Whether the first ``sample`` lines average over ``long`` bytes (a sample, not another full pass)."""
    pos = 0
    for _ in range(sample):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return pos == 0 or len(data) > long * sample
        pos = nl + 1
    return pos > long * sample


def _decode_lines_exact(
    data: bytes | bytearray,
    pos: int,
    n: int,
    lineno: int,
    out: list[Any],
    errors: str,
    bad_utf8: bool,
    kernel: Kernel | None = None,
) -> int:
    """Lines of ``data[pos:n]`` (line ``lineno + 1`` first), one reused-decoder call each over zero-copy
    slices, appended to ``out``; errors located by line and byte offset. ``bad_utf8``: the region holds
    invalid UTF-8, so every line is checked (msgspec does not check the bytes of fields it skips).
    Returns the number of the last line."""
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
        try:
            append(one(view[pos:nl], checked))
        except DecodeError as err:
            raw = bytes(view[pos:nl])
            if raw.strip(JSON_WS):
                raw = raw[:-1] if raw.endswith(b"\r") else raw
                kernel.bad(err, raw, errors, out, line=lineno, offset=pos)
        pos = nl + 1
    return lineno


# -- JSON arrays ------------------------------------------------------------------------------------------


def decode_array(kernel: Kernel, buf: Buffer, errors: str) -> list[Any]:
    check_errors(errors)
    data = as_bytes(buf)
    valid_utf8 = data.isascii() or utf8_error(data) is None
    if valid_utf8:
        try:
            return kernel._array.decode(data)
        except _MsgspecErrors:
            pass
    try:
        items = kernel._raw_array.decode(data)
    except _MsgspecErrors as exc:
        raise DecodeError._from_msgspec(exc) from None
    out: list[Any] = []
    for index, item in enumerate(items):
        raw = bytes(item)
        try:
            out.append(kernel.one(raw, valid_utf8))
        except DecodeError as err:
            kernel.bad(err, raw, errors, out, index=index)
    return out


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
