"""The invariants of issue #11, as checks any input must pass; shared by the hypothesis tests
(``tests/test_fuzz.py``, a short run in the normal test command) and the long fuzz run (``tools/fuzz.py``,
hypothesis or atheris).

- only :class:`DecodeError` escapes strict mode, nothing escapes replace mode (decode_lines, decode_sse,
  SSEDecoder fed in any chunking, str or bytes);
- NDJSON: one item per non-blank line; each InvalidEvent's ``.line``/``.offset``/``.raw`` are its line's;
- SSE: chunked == whole, also under a small ``max_event_size``; strict mode raises, in order, exactly the
  errors replace mode keeps in place; each InvalidEvent's ``.offset`` is the start of a line, its ``.line``
  that line's number, and its ``.raw`` made of bytes of the input;
- ``decode(encode(e)) == e`` for every typed or unknown event decoded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import openresponses_msgspec as orm
from openresponses_msgspec import DecodeError, InvalidEvent, SSEDecoder, UnknownEvent

_EOL = re.compile(rb"\r\n|\r|\n")
_JSON_WS = b" \t\r\n"


def _chunks(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    bounds = sorted({min(max(c, 0), len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *bounds], [*bounds, len(data)], strict=True)]


def _round_trip(events: Sequence[object]) -> None:
    for e in events:
        if isinstance(e, InvalidEvent):
            continue
        assert orm.decode(orm.encode(e)) == e, e


def check_ndjson(data: bytes) -> None:
    out = orm.decode_lines(data, errors="replace")  # nothing may escape
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    nonblank = [(i, line) for i, line in enumerate(lines) if line.strip(_JSON_WS)]
    assert len(out) == len(nonblank), (len(out), len(nonblank))
    for item, (i, line) in zip(out, nonblank, strict=True):
        if isinstance(item, InvalidEvent):
            assert item.line == i + 1 and item.offset == starts[i], (item, i)
            assert item.raw == line.removesuffix(b"\r"), (item.raw, line)
    _round_trip(out)
    try:
        strict = orm.decode_lines(data)
    except DecodeError as e:
        first = next(x for x in out if isinstance(x, InvalidEvent))
        assert (e.line, e.offset) == (first.line, first.offset)
    else:
        assert not any(isinstance(x, InvalidEvent) for x in out)
        assert strict == out


def _line_number(data: bytes, offset: int) -> int:
    return len(_EOL.findall(data, 0, offset)) + 1


def _feed(data: bytes | str, cuts: Sequence[int], errors: str, limit: int | None) -> tuple[list[object],
                                                                                             list[DecodeError]]:
    """All events and (strict) errors, resuming after each error, for ``data`` cut at ``cuts``."""
    kw: dict[str, object] = {"errors": errors}
    if limit is not None:
        kw["max_event_size"] = limit
    dec = SSEDecoder(**kw)  # type: ignore[call-overload]
    out: list[object] = []
    errs: list[DecodeError] = []
    chunks: list[bytes | str] = list(_chunks(data, cuts)) if isinstance(data, bytes) else [
        data[a:b] for a, b in zip([0, *sorted(set(cuts))], [*sorted(set(cuts)), len(data)], strict=False)]
    for chunk in [*chunks, None]:
        while True:
            try:
                out += dec.feed(chunk) if chunk is not None else dec.close()
                break
            except DecodeError as e:  # the only exception strict mode may raise
                assert errors == "strict"
                errs.append(e)
                if chunk is not None:
                    chunk = b""
    return out, errs


def check_sse(data: bytes, cuts: Sequence[int], limit: int | None) -> None:
    whole, none = _feed(data, [], "replace", limit)
    assert not none
    chunked, _ = _feed(data, cuts, "replace", limit)
    assert chunked == whole, (chunked, whole)
    bad = [x for x in whole if isinstance(x, InvalidEvent)]
    for i, item in enumerate(whole):
        if isinstance(item, InvalidEvent):
            assert item.index == i
            off = item.offset
            assert off is not None and 0 <= off <= len(data)
            assert off == 0 or data[off - 1] in b"\r\n" or (off == 3 and data.startswith(b"\xef\xbb\xbf")), off
            assert item.line == _line_number(data, off), (item.line, off)
            for part in item.raw.split(b"\n"):
                assert part in data, part
        else:
            assert not isinstance(item, (bytes, str))
    good = [x for x in whole if not isinstance(x, InvalidEvent)]
    _round_trip(good)
    for cut in (cuts, []):
        events, errs = _feed(data, cut, "strict", limit)
        assert events == good
        assert [(e.index, e.offset, e.line, e.raw) for e in errs] == [
            (b.index, b.offset, b.line, b.raw) for b in bad]
    if limit is None:
        try:
            got = orm.decode_sse(data, errors="replace")
        except Exception as e:  # noqa: BLE001 - the invariant is that nothing escapes
            raise AssertionError(f"decode_sse(replace) raised {e!r}") from e
        assert got == whole


def check_sse_text(text: str, cuts: Sequence[int]) -> None:
    """str chunks (possibly with lone surrogates): nothing escapes replace, chunked == whole."""
    whole, _ = _feed(text, [], "replace", None)
    assert _feed(text, cuts, "replace", None)[0] == whole
    _feed(text, cuts, "strict", None)


def known_unknown(events: Sequence[object]) -> int:
    return sum(isinstance(e, UnknownEvent) for e in events)
