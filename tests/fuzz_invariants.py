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
from collections import Counter
from collections.abc import Sequence
from typing import Any

from helpers import kafka_records

import openresponses_msgspec as orm
from openresponses_msgspec import DecodeError, InvalidEvent, SSEDecoder, UnknownEvent

_EOL = re.compile(rb"\r\n|\r|\n")
CALLS: Counter[str] = Counter()  # executions per check (tools/fuzz.py reports them)
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
    CALLS["check_ndjson"] += 1
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


def _feed(
    data: bytes | str, cuts: Sequence[int], errors: str, limit: int | None
) -> tuple[list[object], list[DecodeError]]:
    """All events and (strict) errors, resuming after each error, for ``data`` cut at ``cuts``."""
    kw: dict[str, object] = {"errors": errors}
    if limit is not None:
        kw["max_event_size"] = limit
    dec = SSEDecoder(**kw)  # type: ignore[call-overload]
    out: list[object] = []
    errs: list[DecodeError] = []
    chunks: list[bytes | str] = (
        list(_chunks(data, cuts))
        if isinstance(data, bytes)
        else [data[a:b] for a, b in zip([0, *sorted(set(cuts))], [*sorted(set(cuts)), len(data)], strict=False)]
    )
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
    CALLS["check_sse"] += 1
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
        assert [(e.index, e.offset, e.line, e.raw) for e in errs] == [(b.index, b.offset, b.line, b.raw) for b in bad]
    if limit is None:
        try:
            got = orm.decode_sse(data, errors="replace")
        except Exception as e:
            raise AssertionError(f"decode_sse(replace) raised {e!r}") from e
        assert got == whole


def check_sse_text(text: str, cuts: Sequence[int]) -> None:
    """str chunks (possibly with lone surrogates): nothing escapes replace, chunked == whole."""
    CALLS["check_sse_text"] += 1
    whole, _ = _feed(text, [], "replace", None)
    assert _feed(text, cuts, "replace", None)[0] == whole
    _feed(text, cuts, "strict", None)


def known_unknown(events: Sequence[object]) -> int:
    return sum(isinstance(e, UnknownEvent) for e in events)


# -- issue 17: the layers above the decoder ------------------------------------------------------------------
#
# - files: iter_events over a file object whose read/read1 return pieces of any size (sometimes None: a
#   non-blocking file with nothing ready yet), plain or gzip cut into members anywhere, gives what the
#   in-memory decoder gives for the same bytes; format detection decides on the first non-blank byte; a
#   corrupted gzip stream or a malformed array raises DecodeError and nothing else;
# - arrays: one item per element, each InvalidEvent with its element's index, offset, line and bytes; strict
#   raises the first of them;
# - Kafka: a value decodes the same wherever it sits in a batch (and alone, and through a deserializer);
# - Redis: every entry is handed over decoded or dead-lettered, never an exception out of read().

_WS_BYTES = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


class PieceReader:
    """A binary file object whose ``read``/``read1`` return the data in the given piece sizes (cycled), and
    ``None`` (a non-blocking file with nothing ready) where a size is 0 when ``nones``: at most ``MAX_NONES``
    times (a reader without a descriptor is waited for by sleeping, about 1 ms each)."""

    MAX_NONES = 16

    def __init__(self, data: bytes, sizes: Sequence[int], nones: bool = False) -> None:
        self.data = data
        self.pos = 0
        self.nones = 0
        self.sizes = [s for s in sizes if s > 0 or nones]
        if not any(self.sizes):  # (a reader must make progress: not None forever)
            self.sizes.append(1 << 20)
        self.k = 0

    def _next(self, n: int) -> bytes | None:
        size = self.sizes[self.k % len(self.sizes)]
        self.k += 1
        if size == 0:
            if self.nones < self.MAX_NONES:
                self.nones += 1
                return None
            size = 1
        n = len(self.data) - self.pos if n is None or n < 0 else n
        piece = self.data[self.pos : self.pos + min(n, size)]
        self.pos += len(piece)
        return piece

    def read(self, n: int = -1) -> bytes | None:
        return self._next(n)

    def read1(self, n: int = -1) -> bytes | None:
        return self._next(n)

    def readable(self) -> bool:
        return True


def gzip_members(data: bytes, cuts: Sequence[int]) -> bytes:
    """``data`` gzipped as one member per piece between ``cuts`` (an empty piece is an empty member)."""
    import gzip

    return b"".join(gzip.compress(part, mtime=0) for part in _chunks(data, cuts) or [b""])


def detected(data: bytes) -> str:
    """The format rule (docs/files.md): the first byte that is not blank, after a UTF-8 BOM at the very start
    (a BOM later is data), however far: ``[`` an array, ``{`` (or nothing) NDJSON, anything else SSE."""
    head = data.removeprefix(_BOM).lstrip(_WS_BYTES)
    if not head or head[:1] == b"{":
        return "ndjson"
    return "array" if head[:1] == b"[" else "sse"


def _in_memory(data: bytes, fmt: str, errors: str) -> list[object]:
    """What the in-memory decoder gives; for an array, a BOM before its ``[`` is read as three blanks (msgspec
    rejects a BOM; a file skips it, keeping offsets)."""
    if fmt == "array" and data.startswith(_BOM):
        data = b"   " + data[3:]
    if fmt == "ndjson":
        return orm.decode_lines(data, errors=errors)  # type: ignore[call-overload, no-any-return]
    if fmt == "sse":
        return orm.decode_sse(data, errors=errors)  # type: ignore[call-overload, no-any-return]
    return orm.decode_array(data, errors=errors)  # type: ignore[call-overload, no-any-return]


def _file_events(source: object, fmt: str | None, errors: str) -> tuple[list[object], DecodeError | None]:
    out: list[object] = []
    try:
        for batch in orm.iter_batches(source, format=fmt, errors=errors, batch_size=7):  # type: ignore[call-overload]
            out += batch
    except DecodeError as e:  # the only exception a file may raise
        return out, e
    return out, None


def _coords(x: object) -> tuple[object, ...]:
    return (getattr(x, "line", None), getattr(x, "offset", None), getattr(x, "index", None))


def check_file(
    data: bytes, fmt: str | None, sizes: Sequence[int], members: Sequence[int] | None, nones: bool = False
) -> None:
    """iter_batches over ``data`` read in ``sizes`` pieces (gzip cut at ``members`` when given) == the in-memory
    decoder; strict raises where replace keeps the first InvalidEvent; only DecodeError escapes."""
    CALLS["check_file"] += 1
    kind = fmt or detected(data)
    try:
        want: list[object] | None = _in_memory(data, kind, "replace")
    except DecodeError:
        want = None  # a malformed array: the file raises too (after the elements before the damage)
    raw = gzip_members(data, members) if members is not None else data
    got, err = _file_events(PieceReader(raw, sizes, nones), fmt, "replace")
    if want is None:
        assert err is not None, "a malformed array decoded from a file"
        return
    assert err is None, f"replace raised {err!r}"
    assert got == want, (got, want)
    strict, serr = _file_events(PieceReader(raw, sizes, nones), fmt, "strict")
    bad = [x for x in want if isinstance(x, InvalidEvent)]
    if bad:
        assert serr is not None and _coords(serr) == _coords(bad[0]), (serr, bad[0])
        assert strict == want[: want.index(bad[0])][: len(strict)]
    else:
        assert serr is None and strict == want


def check_gzip_damage(data: bytes, members: Sequence[int], where: int, junk: bytes, mode: int) -> None:
    """A damaged gzip stream (cut, bytes flipped or appended): events and then at most a DecodeError."""
    CALLS["check_gzip_damage"] += 1
    raw = bytearray(gzip_members(data, members))
    at = where % (len(raw) + 1)
    if mode == 0:
        raw = raw[:at]
    elif mode == 1 and raw:
        raw[at % len(raw)] ^= 0xFF
    elif mode == 2:
        raw += junk
    else:
        raw[at:at] = junk
    for errors in ("strict", "replace"):
        _file_events(PieceReader(bytes(raw), [max(1, where % 97)]), None, errors)
    if mode == 2 and not junk.strip(_WS_BYTES) and junk:  # whitespace after the last member is no error
        events, err = _file_events(bytes(raw), None, "replace")
        plain, plain_err = _file_events(data, None, "replace")
        assert events == plain and (err is None) == (plain_err is None), (err, plain_err)


def array_of(elements: Sequence[bytes], seps: Sequence[bytes]) -> bytes:
    parts = [b"["]
    for i, el in enumerate(elements):
        if i:
            parts.append(b",")
        parts.append(seps[i % len(seps)] if seps else b"")
        parts.append(el)
    parts.append(b"]")
    return b"".join(parts)


def check_array(elements: Sequence[bytes], seps: Sequence[bytes]) -> None:
    """A well-formed array of any elements (each valid JSON, or a too-deep one): one item per element, a bad
    one located by index, offset, line and bytes, equal to the element decoded alone; strict raises it."""
    CALLS["check_array"] += 1
    data = array_of(elements, seps)
    out = orm.decode_array(data, errors="replace")
    assert len(out) == len(elements)
    pos = 1
    for i, (el, item) in enumerate(zip(elements, out, strict=True)):
        pos = data.index(el, pos)
        try:
            alone: object = orm.decode(el)
        except DecodeError:
            alone = None
        if isinstance(item, InvalidEvent):
            assert alone is None, (el, alone)
            assert (item.index, item.offset, item.raw) == (i, pos, el), (item, i, pos)
            assert item.line == data.count(b"\n", 0, pos) + 1
        else:
            assert item == alone, (item, alone)
        pos += len(el)
    _round_trip(out)
    try:
        strict = orm.decode_array(data)
    except DecodeError as e:
        first = next(x for x in out if isinstance(x, InvalidEvent))
        assert _coords(e) == _coords(first), (e, first)
    else:
        assert strict == out


def _same_kafka(a: object, b: object) -> bool:
    if isinstance(a, InvalidEvent) or isinstance(b, InvalidEvent):
        return (
            isinstance(a, InvalidEvent)
            and isinstance(b, InvalidEvent)
            and a.raw == b.raw
            and a.offset == b.offset
            and a.error.msg == b.error.msg
            and a.error.path == b.error.path
        )
    return a == b


def check_kafka(values: Sequence[bytes | None]) -> None:
    """A value decodes the same wherever it sits in a batch: as its own one-message batch and through a
    per-message deserializer; strict raises for the first bad message, naming its offset."""
    CALLS["check_kafka"] += 1
    from openresponses_msgspec.kafka import KafkaDecodeError, KafkaInvalidEvent, aiokafka_deserializer, decode_messages

    batch = decode_messages(kafka_records(values))
    assert len(batch) == len(values)
    deser = aiokafka_deserializer()
    for i, (v, ev) in enumerate(zip(values, batch, strict=True)):
        alone = decode_messages(kafka_records([v]))[0]
        assert _same_kafka(ev, alone), (i, v, ev, alone)
        assert _same_kafka(ev, deser(v)), (i, v, ev)
        if isinstance(ev, InvalidEvent):
            assert isinstance(ev, KafkaInvalidEvent) and ev.message_offset == i and ev.raw == v
    bad = [i for i, ev in enumerate(batch) if isinstance(ev, InvalidEvent)]
    try:
        strict = decode_messages(kafka_records(values), errors="strict")
    except KafkaDecodeError as e:
        assert bad and e.message_offset == bad[0], (e, bad)
    else:
        assert not bad and strict == batch
    chunks = decode_messages(kafka_records(values), format="ndjson")
    want: list[object] = []
    for v in values:
        want += aiokafka_deserializer(format="ndjson")(v)
    assert len(chunks) == len(want) and all(_same_kafka(a, b) for a, b in zip(chunks, want, strict=True))


def check_redis(client: object, entries: Sequence[dict[bytes, bytes]], count: int) -> None:
    """Entries of any shape on a fresh stream: read() never raises; each one is handed over (decoded like its
    value alone) or dead-lettered with its fields as they were; nothing else stays pending."""
    CALLS["check_redis"] += 1
    from openresponses_msgspec.redis import StreamConsumer

    r: Any = client
    r.delete("fz", "fz:dead")
    ids = [r.xadd("fz", dict(f)).decode() if f else None for f in entries]
    ids = [i for i in ids if i is not None]
    entries = [f for f in entries if f]
    c = StreamConsumer(r, "fz", "g", "w", count=count, block_ms=1)
    got: list[Any] = []
    for _ in range(len(entries) // count + 2):
        got += c.read()
    handed = {e.id: e for e in got}
    dead = {f[b"id"].decode(): f for _, f in r.xrange("fz:dead")}
    assert set(handed) | set(dead) == set(ids) and not set(handed) & set(dead), (handed, dead)
    for i, f in zip(ids, entries, strict=True):
        value = f.get(b"data")
        if i in handed:
            assert value is not None
            assert handed[i].event == orm.decode(value.removeprefix(_BOM))
            assert {k.encode("utf-8", "surrogateescape"): v for k, v in handed[i].fields.items()} == f
        else:  # the original fields, each under its name or that name prefixed with orig_ where it clashed
            d = dict(dead[i])
            assert d.pop(b"stream") == b"fz" and d.pop(b"group") == b"g" and d.pop(b"error")
            assert d.pop(b"id") == i.encode() and len(d) == len(f), (d, f)
            for name, v in d.items():
                assert any(name.endswith(k) and f[k] == v for k in f), (name, v, f)
            assert sorted(d.values()) == sorted(f.values())
    assert c.pending() == len(handed)
    if handed:
        c.ack(list(handed))
    assert c.pending() == 0
