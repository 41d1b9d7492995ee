"""The JSON-array framer: one event per element, a bad element named by its index, line and byte offset.

A clean array is one msgspec call; otherwise msgspec frames the elements as ``Raw`` and the kernel decodes
each. An element nested deeper than msgspec may go is framed by matching brackets (:func:`_array_elements`).
"""

from __future__ import annotations

import re
import sys
from typing import Any

from . import _scan
from ._bytes import JSON_WS, JSON_WS_SET, count_newlines
from ._errors import DecodeError
from ._kernel import (
    GUARD_ABOVE,
    MSGSPEC_ERRORS,
    Framed,
    Kernel,
    bad_framed,
    can_decode_directly,
    check_errors,
    frame_all,
    framed_pairs,
    paused,
    source,
    too_deep,
)

__all__ = ["decode_array", "decode_array_raw"]


def decode_array(kernel: Kernel, buf: Any, errors: str) -> list[Any]:
    check_errors(errors)
    data, _ = source(buf)
    valid_utf8 = (not isinstance(data, memoryview) and data.isascii()) or _scan.utf8_valid(data, 0, len(data))
    if valid_utf8 and not (sys.getrecursionlimit() > GUARD_ABOVE and too_deep(data)):
        try:
            return kernel.array_decoder.decode(data)
        except MSGSPEC_ERRORS:
            pass
        except RecursionError:
            pass
    try:
        items = kernel.raw_array_decoder.decode(data)
    except MSGSPEC_ERRORS as exc:
        raise DecodeError._from_msgspec(exc) from None
    except RecursionError:  # an element nests deeper than msgspec may go: frame the array without it
        return _deep_array(kernel, data, errors, valid_utf8)
    out: list[Any] = []
    where = ElementLocator(bytes(data) if isinstance(data, memoryview) else data)
    for index, item in enumerate(items):
        raw = bytes(item)
        try:
            out.append(kernel.one(raw, valid_utf8))
        except DecodeError as err:
            offset, line = where.locate(raw)
            kernel.bad(err, raw, errors, out, index=index, offset=offset, line=line)
            continue
        where.skip(raw)
    return out


class ElementLocator:
    """Where the elements of a JSON array are, found in order: each element's bytes (a ``Raw`` slice msgspec
    framed, so they occur in the array as they are) are searched from where the previous element ended, and
    lines are counted only up to the elements asked for (bad ones: clean arrays never pay for it)."""

    __slots__ = ("data", "at", "line", "counted")

    def __init__(self, data: bytes | bytearray) -> None:
        self.data = data
        self.at = 0  # where the previous element ended: the next one is the first match after it
        self.line = 1  # the line of byte ``counted``
        self.counted = 0

    def skip(self, raw: bytes) -> None:
        """Pass the next element (its bytes ``raw``) without asking where it is."""
        self.at = self.data.find(raw, self.at) + len(raw)

    def locate(self, raw: bytes) -> tuple[int, int]:
        """``(offset, line)`` of the next element (its bytes ``raw``), and pass it."""
        offset = self.data.find(raw, self.at)
        self.line += count_newlines(self.data, self.counted, offset)
        self.counted = offset
        self.at = offset + len(raw)
        return offset, self.line


_ARRAY_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*+"|[\[\]{},]')
_CLOSER = {91: 93, 123: 125}


def _array_elements(data: bytes | bytearray) -> list[tuple[int, int]]:
    """``(start, end)`` of each element of the JSON array ``data``, by matching brackets outside strings (no
    recursion, so any depth); DecodeError when the array itself (brackets, commas, what follows it) is
    malformed. The elements' own syntax is left to the kernel."""
    n = len(data)
    pos = 0
    while pos < n and data[pos] in JSON_WS_SET:
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
            while s0 < e0 and data[s0] in JSON_WS_SET:
                s0 += 1
            while e0 > s0 and data[e0 - 1] in JSON_WS_SET:
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
    whole = bytes(data) if isinstance(data, memoryview) else data  # pyright: ignore[reportUnknownArgumentType]
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
    valid_utf8 = (not isinstance(data, memoryview) and data.isascii()) or _scan.utf8_valid(data, 0, len(data))
    try:
        items = kernel.raw_array_decoder.decode(data)
    except MSGSPEC_ERRORS as exc:
        raise DecodeError._from_msgspec(exc) from None
    except RecursionError:  # an element nests deeper than msgspec may go: framed by matching brackets
        whole = bytes(data) if isinstance(data, memoryview) else data
        raws = [bytes(whole[start:end]) for start, end in _array_elements(whole)]
        return paused(len(data), framed_pairs, _deep_array(kernel, data, errors, valid_utf8), raws)  # type: ignore[no-any-return]
    raws = list(map(bytes, items))
    del items
    where = ElementLocator(bytes(data) if isinstance(data, memoryview) else data)
    passed = [0]  # elements the locator has passed

    def fail(i: int, raw: bytes) -> Framed[Any] | None:
        try:
            return Framed(kernel.one(raw, valid_utf8), raw)
        except DecodeError as err:
            for j in range(passed[0], i):  # (the elements before it are found in order, as decode_array does)
                where.skip(raws[j])
            offset, line = where.locate(raw)
            passed[0] = i + 1
            return bad_framed(kernel, err, raw, errors, index=i, offset=offset, line=line)

    direct = can_decode_directly(data, valid_utf8)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    if direct:  # a clean array: msgspec decodes it in one call, faster than element by element
        try:
            events = kernel.array_decoder.decode(data)
        except (*MSGSPEC_ERRORS, RecursionError):
            pass
        else:
            if len(events) == len(raws):
                return paused(len(data), framed_pairs, events, raws)  # type: ignore[no-any-return]
    out: list[Any] = []
    paused(len(data), frame_all, kernel.decoder.decode if direct else kernel.one, raws, raws, fail, out)
    return out
