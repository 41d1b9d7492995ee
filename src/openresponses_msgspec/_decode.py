"""Decoding events from bytes: one event, NDJSON batches, JSON arrays; and encoding them back.

The fast path is one reused ``msgspec.json.Decoder(StreamEvent)`` call per event over a zero-copy
memoryview slice. Anything that fails there (an unknown tag, bad JSON, a wrong type) is handled afterwards,
for that event alone, by the slow path in ``_lenient``: clean batches never pay for it.
"""

from __future__ import annotations

import codecs
from typing import Any, Literal

import msgspec

from ._errors import DecodeError, InvalidEvent, UnknownEvent, UnknownValue
from ._lenient import decode_struct, probe_tag
from ._models import EVENT_TYPES, StreamEvent

__all__ = ["Buffer", "decode", "decode_array", "decode_lines", "encode"]

Buffer = bytes | bytearray | memoryview | str
Errors = Literal["strict", "replace"]

_event_decoder = msgspec.json.Decoder(StreamEvent)
_array_decoder = msgspec.json.Decoder(list[StreamEvent])
_raw_array_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_MsgspecErrors = (msgspec.ValidationError, msgspec.DecodeError)
_JSON_WS = b" \t\r\n"
_JSON_WS_SET = frozenset(_JSON_WS)


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, UnknownValue):
        return msgspec.Raw(obj.raw)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)


def _check_errors(errors: str) -> None:
    if errors not in ("strict", "replace"):
        raise ValueError(f"errors must be 'strict' or 'replace', not {errors!r}")


def _as_bytes(buf: Buffer) -> bytes | bytearray:
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


def _utf8_error(data: Any) -> UnicodeDecodeError | None:
    """The first invalid UTF-8 sequence in ``data``, if any (msgspec skips unknown fields unchecked)."""
    try:
        codecs.utf_8_decode(data, "strict", True)
    except UnicodeDecodeError as exc:
        return exc
    return None


def _utf8_decode_error(err: UnicodeDecodeError) -> DecodeError:
    return DecodeError(f"invalid UTF-8: {err.reason} (byte {err.start})", pos=err.start)


def _slow(data: Any, exc: Exception | None = None) -> Any:
    """Decode one event that the strict union rejected (``exc``, when the caller already tried), or raise a
    precise DecodeError."""
    if exc is None:
        try:
            return _event_decoder.decode(data)
        except _MsgspecErrors as e:
            exc = e
    if not isinstance(exc, msgspec.ValidationError):  # (a subclass of msgspec.DecodeError: test it first)
        err = DecodeError._from_msgspec(exc)
        if err.pos is None:  # "Input data was truncated": the value ends where the input does
            err = DecodeError(f"{err.msg} (byte {len(data)})", pos=len(data))
        raise err
    tag = probe_tag(data)
    cls = EVENT_TYPES.get(tag)
    if cls is None:
        return UnknownEvent(tag, bytes(data).strip(_JSON_WS))
    return decode_struct(data, cls)


def decode(buf: Buffer) -> Any:
    """Decode one JSON event to its typed Struct (or :class:`UnknownEvent` for a type no variant knows).

    Raises :class:`DecodeError` for malformed JSON, invalid UTF-8, a non-object, a missing ``type`` or a value
    of the wrong type; the message names the JSON path (``$.output_index``) or the byte position.
    """
    data = _as_bytes(buf)
    if not data.isascii():
        bad = _utf8_error(data)
        if bad is not None:
            raise _utf8_decode_error(bad)._located(raw=bytes(data))
    try:
        return _event_decoder.decode(data)
    except _MsgspecErrors as exc:
        first = exc
    try:
        return _slow(data, first)
    except DecodeError as err:
        raise err._located(raw=bytes(data)) from None


def _bad_utf8_lines(data: bytes | bytearray) -> set[int]:
    """Start offsets of the lines that hold invalid UTF-8 (only computed for non-ASCII input)."""
    bad: set[int] = set()
    start = 0
    view = memoryview(data)
    while True:
        err = _utf8_error(view[start:])
        if err is None:
            return bad
        pos = start + err.start
        line_start = data.rfind(b"\n", 0, pos) + 1
        bad.add(line_start)
        nl = data.find(b"\n", pos)
        if nl == -1:
            return bad
        start = nl + 1


def decode_lines(buf: Buffer, *, errors: Errors = "strict") -> list[Any]:
    """Decode NDJSON: one event per line (LF or CRLF); whitespace-only lines are skipped.

    A line holding two values, half a value, invalid UTF-8 or an invalid event is a bad line. With
    ``errors="strict"`` the first bad line raises :class:`DecodeError` with ``.line`` (1-based physical line),
    ``.offset`` (byte offset of the line), ``.path`` and ``.raw``. With ``errors="replace"`` it becomes an
    :class:`InvalidEvent` in its place, so the result has exactly one item per non-blank line.
    """
    _check_errors(errors)
    data = _as_bytes(buf)
    bad_utf8 = _bad_utf8_lines(data) if not data.isascii() else None
    if not bad_utf8:
        fast = _decode_lines_whole(data)
        if fast is not None:
            return fast
    return _decode_lines_exact(data, errors, bad_utf8)


def _decode_lines_whole(data: bytes | bytearray) -> list[Any] | None:
    """msgspec's own ``decode_lines`` over the whole buffer, when it provably gives the per-line answer.

    msgspec's version is not line-exact (two values on a line, or one value over two lines, pass). But if
    every line starts with ``{`` and ends with ``}`` (checked by counting ``}\\n{`` boundaries: a raw newline
    cannot occur inside a JSON string), no value can span lines, because a ``{`` can never follow a ``}``
    inside one object; then as many values as lines means exactly one per line. Worth it only for short
    lines (the text-heavy case), where per-line call overhead dominates; ``None`` means "use the loop".
    """
    if data[:1] != b"{" or _long_lines(data):
        return None
    n_nl = data.count(b"\n")
    end = len(data)
    while end and data[end - 1] in _JSON_WS_SET:
        end -= 1
    boundaries = n_nl - (data.count(b"\n", end) if end < len(data) else 0)
    if data[end - 1 : end] != b"}":
        return None
    joined = data.count(b"}\n{")
    if joined != boundaries:
        joined += data.count(b"}\r\n{")
        if joined != boundaries:
            return None
    try:
        events = _event_decoder.decode_lines(data)
    except _MsgspecErrors:
        return None
    return events if len(events) == boundaries + 1 else None


def _long_lines(data: bytes | bytearray, sample: int = 32, long: int = 1024) -> bool:
    """Whether the first ``sample`` lines average over ``long`` bytes (a sample, not another full pass)."""
    pos = 0
    for _ in range(sample):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return pos == 0 or len(data) > long * sample
        pos = nl + 1
    return pos > long * sample


def _decode_lines_exact(data: bytes | bytearray, errors: str, bad_utf8: set[int] | None) -> list[Any]:
    """One reused-decoder call per line over zero-copy slices; errors located by line and byte offset."""
    view = memoryview(data)
    dec = _event_decoder.decode
    find = data.find
    out: list[Any] = []
    append = out.append
    n = len(data)
    pos = 0
    lineno = 0
    while pos < n:
        nl = find(b"\n", pos)
        if nl < 0:
            nl = n
        lineno += 1
        first: Exception | None = None
        if bad_utf8 is None or pos not in bad_utf8:
            try:
                append(dec(view[pos:nl]))
                pos = nl + 1
                continue
            except _MsgspecErrors as exc:
                first = exc
        raw = bytes(view[pos:nl])
        if raw.strip(_JSON_WS):
            try:
                if first is None:  # the line holds invalid UTF-8
                    bad = _utf8_error(raw)
                    assert bad is not None
                    raise _utf8_decode_error(bad)
                append(_slow(raw, first))
            except DecodeError as err:
                raw = raw[:-1] if raw.endswith(b"\r") else raw
                located = err._located(line=lineno, offset=pos, raw=raw)
                if errors == "strict":
                    raise located from None
                append(InvalidEvent(located, raw, line=lineno, offset=pos))
        pos = nl + 1
    return out


def decode_array(buf: Buffer, *, errors: Errors = "strict") -> list[Any]:
    """Decode a JSON array of events. Errors name the element by ``.index`` (0-based).

    With ``errors="replace"`` a bad element becomes an :class:`InvalidEvent` in place. A buffer that is not
    a well-formed JSON array at all raises :class:`DecodeError` in both modes (there is nothing to keep).
    """
    _check_errors(errors)
    data = _as_bytes(buf)
    valid_utf8 = data.isascii() or _utf8_error(data) is None
    if valid_utf8:
        try:
            return _array_decoder.decode(data)
        except _MsgspecErrors:
            pass
    try:
        items = _raw_array_decoder.decode(data)
    except _MsgspecErrors as exc:
        raise DecodeError._from_msgspec(exc) from None
    out: list[Any] = []
    for index, item in enumerate(items):
        raw = bytes(item)
        try:
            if not valid_utf8 and (bad := _utf8_error(raw)) is not None:
                raise _utf8_decode_error(bad)
            out.append(_slow(raw))
        except DecodeError as err:
            located = err._located(index=index, raw=raw)
            if errors == "strict":
                raise located from None
            out.append(InvalidEvent(located, raw, index=index))
    return out


def encode(event: Any) -> bytes:
    """Encode an event (typed, :class:`UnknownEvent`, or holding :class:`UnknownValue`) to JSON bytes.

    ``decode(encode(e)) == e``; unknown events and values are written back byte for byte.
    """
    if isinstance(event, UnknownEvent):
        return bytes(event.raw)
    if isinstance(event, InvalidEvent):
        raise TypeError("an InvalidEvent holds bytes that are not a valid event; use its .raw")
    return _encoder.encode(event)
