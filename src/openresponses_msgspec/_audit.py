"""What the model would drop from your own traffic: every wire tag and field that no class keeps.

``audit(*sources)`` reads NDJSON, SSE or JSON-array files (plain or gzip; paths, file objects or buffers, as
:func:`iter_events` takes them) and reports each event tag, nested tag and field (by path, e.g.
``response.completed $.response.output[].action``) that decoding would lose, with how often it occurs and
where first. Nothing is reported for values the model keeps whole (fields typed ``Any`` or ``dict``).

How it stays fast: every event is first decoded with a *strict twin* of the model (the same classes with
``forbid_unknown_fields=True``, every field optional), which succeeds, at decode speed, exactly when the event
holds no tag and no field the model lacks (or fails on a type the model reports otherwise). Only an event that
fails is decoded to plain values and walked beside the model's types to say what would be lost.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import types
import typing
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, Literal, Union, cast

import msgspec

from ._builtins import JSONValue
from ._bytes import BOM, RAW_ARRAY
from ._errors import DecodeError
from ._files import iter_events
from ._jobs import imap, plan, resolve_jobs, splittable
from ._models import EVENT_TYPES

__all__ = ["AuditFinding", "AuditReport", "audit"]

Kind = Literal["event", "tag", "field"]


class AuditFinding(msgspec.Struct, frozen=True, kw_only=True):
    """One thing the model does not keep: an event tag, a nested tag or a field, where it occurs."""

    event: str
    """The event's ``type``."""
    path: str
    """Where in the event: ``$`` (the event itself), ``$.response.output[]``, ``$.item.action``, ..."""
    variant: str | None
    """The tag of the tagged-union member the path is in (for ``kind="tag"``: the unknown tag)."""
    kind: Kind
    """``"event"``: a ``type`` no class has; ``"tag"``: a nested tag no class has; ``"field"``: a field."""
    count: int
    """How many times it occurs in the input."""
    first: str
    """``FILE:LINE`` of its first occurrence (``<buffer>`` for a source without a name)."""

    def __str__(self) -> str:
        what = f"{self.event} {self.path}" + (f" ({self.variant})" if self.variant else "")
        return what + ("" if self.kind == "field" else f": {self.kind}")


class AuditReport(msgspec.Struct, frozen=True, kw_only=True):
    """The result of :func:`audit`: ``findings`` by first occurrence; ``ok`` when nothing would be lost."""

    events: int
    """Events read."""
    malformed: int
    """Lines (or SSE events, array elements) that are not a JSON object with a string ``type``."""
    findings: tuple[AuditFinding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def lost(self) -> int:
        """Occurrences of every finding, added up."""
        return sum(f.count for f in self.findings)

    def format(self) -> str:
        """The report as text: one line per finding (count, first FILE:LINE, what), then a summary line."""
        lines = [f"{f.count:>9}  {f.first}  {f}" for f in self.findings]
        head = f"{'count':>9}  first at  what the model does not keep" if lines else ""
        n = len(self.findings)
        tail = (
            f"{self.events} events: {n} {'tag or field' if n == 1 else 'tags and fields'} the model does not "
            f"keep ({self.lost} {'occurrence' if self.lost == 1 else 'occurrences'})"
            if n
            else f"{self.events} events: the model keeps every tag and field"
        )
        if self.malformed:
            tail += f"; {self.malformed} malformed"
        return "\n".join(([head] if head else []) + lines + [tail])


# -- the model's shape, compiled once -------------------------------------------------------------------------
# A node: None (a value kept whole, or a scalar: nothing below it to lose), ("s", {wire: node}, tagged),
# ("u", {tag: struct node}, fallback struct node or None), ("a", item node).

_Node = Any
_nodes: dict[type[msgspec.Struct], _Node] = {}


def _alternatives(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [a for a in typing.get_args(tp) if a is not type(None)]
    return [tp]


def _node(tp: Any) -> _Node:
    alts = _alternatives(tp)
    if any(a is Any or a is msgspec.Raw or typing.get_origin(a) is dict or a is dict for a in alts):
        return None  # kept whole
    structs = [a for a in alts if isinstance(a, type) and issubclass(a, msgspec.Struct)]
    arrays = [a for a in alts if typing.get_origin(a) in (tuple, list)]
    if structs:
        tagged = {a.__struct_config__.tag: a for a in structs if a.__struct_config__.tag is not None}
        if tagged:
            untagged = [a for a in structs if a.__struct_config__.tag is None]
            return ("u", {t: _struct(c) for t, c in tagged.items()}, _struct(untagged[0]) if untagged else None)
        return _struct(structs[0])
    if arrays:
        return ("a", _node(typing.get_args(arrays[0])[0]))
    return None


def _struct(cls: type[msgspec.Struct]) -> _Node:
    """("s", the wire names it keeps (its tag field too), [(wire name, node)] of the fields with a shape)."""
    node = _nodes.get(cls)
    if node is None:
        keys: set[str] = set()
        nested: list[tuple[str, _Node]] = []
        node = ("s", keys, nested)
        _nodes[cls] = node  # before the fields: a recursive shape ends here
        cfg = cls.__struct_config__
        if cfg.tag is not None and cfg.tag_field is not None:  # msgspec sets tag_field with tag
            keys.add(cfg.tag_field)
        for f in msgspec.structs.fields(cls):
            keys.add(f.encode_name)
            child = _node(f.type)
            if child is not None:
                nested.append((f.encode_name, child))
    return node


# -- the strict twin: decodes, at C speed, exactly the events that lose nothing ---------------------------------

_twins: dict[type[msgspec.Struct], type[msgspec.Struct]] = {}


def _twin_type(tp: object) -> Any:
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return _twin(tp)
    if origin in (Union, types.UnionType):
        return Union[tuple(_twin_type(a) for a in typing.get_args(tp))]  # noqa: UP007 - built at run time
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple[_twin_type(args[0]), ...]  # type: ignore[misc]
        return tuple[tuple(_twin_type(a) for a in args)]  # type: ignore[misc]
    if origin is list:
        return list[_twin_type(typing.get_args(tp)[0])]  # type: ignore[misc]
    return tp  # pyright: ignore[reportUnknownVariableType]  # type[Unknown], left by the isinstance above


def _twin(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
    twin = _twins.get(cls)
    if twin is None:
        cfg = cls.__struct_config__
        fields = [
            (f.name, _twin_type(f.type) | None, msgspec.field(default=None, name=f.encode_name))
            for f in msgspec.structs.fields(cls)
        ]
        twin = msgspec.defstruct(
            cls.__name__, fields, tag=cfg.tag, tag_field=cfg.tag_field, kw_only=True, forbid_unknown_fields=True
        )
        _twins[cls] = twin
    return twin


class _Strict:
    """The strict twins of every event class, and what one audit learned: an event's top-level field the model
    lacks (the commonest drift, e.g. a new field on every event) is added to its twin as a raw field, so the
    next events with it still decode at C speed and are counted by a look at that field."""

    __slots__ = ("attrs", "decoder", "learned", "types")
    MAX_LEARNED = 32  # top-level fields learned per event type (beyond: the slow path, still exact)

    def __init__(self) -> None:
        self.types: dict[str, type] = {tag: _twin(cls) for tag, cls in EVENT_TYPES.items()}
        self.learned: dict[str, tuple[str, ...]] = {}
        self.attrs: dict[type, tuple[str, tuple[tuple[str, str], ...]]] = {}  # learned twin -> (tag, fields)
        self.decoder: msgspec.json.Decoder[Any] = self._build()

    def _build(self) -> msgspec.json.Decoder[Any]:
        return msgspec.json.Decoder(Union[tuple(self.types.values())])  # noqa: UP007 - built at run time

    def learn(self, tag: str, keys: set[str]) -> None:
        have = self.learned.get(tag, ())
        if keys <= set(have) or len(have) + len(keys) > self.MAX_LEARNED:
            return
        wire = tuple(sorted(set(have) | keys))
        base = _twin(EVENT_TYPES[tag])
        fields = [
            (f"_audit_{i}", msgspec.Raw | msgspec.UnsetType, msgspec.field(default=msgspec.UNSET, name=k))
            for i, k in enumerate(wire)
        ]
        cls = msgspec.defstruct(
            base.__name__,
            fields,
            bases=(base,),
            tag=tag,
            tag_field=base.__struct_config__.tag_field,
            kw_only=True,
            forbid_unknown_fields=True,
        )
        self.learned[tag] = wire
        self.types[tag] = cls
        self.attrs[cls] = (tag, tuple((f"_audit_{i}", k) for i, k in enumerate(wire)))
        self.decoder = self._build()


# -- the walk (slow path) --------------------------------------------------------------------------------------


class _Tally:
    __slots__ = ("counts", "first", "kinds")

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str | None], int] = {}
        self.first: dict[tuple[str, str, str | None], str] = {}
        self.kinds: dict[tuple[str, str, str | None], Kind] = {}

    def add(self, key: tuple[str, str, str | None], kind: Kind, where: str | Callable[[], str]) -> None:
        n = self.counts.get(key)
        if n is None:
            self.counts[key] = 1
            self.first[key] = where() if callable(where) else where
            self.kinds[key] = kind
        else:
            self.counts[key] = n + 1


def _walk(
    v: JSONValue, node: _Node, event: str, path: str, variant: str | None, tally: _Tally, where: Callable[[], str]
) -> None:
    kind = node[0]
    if kind == "s":
        if type(v) is not dict:
            return
        extra = v.keys() - node[1]  # one set operation in C: most objects have nothing extra
        if extra:
            for k in sorted(extra):
                tally.add((event, f"{path}.{k}", variant), "field", where)
        for k, child in node[2]:
            x = v.get(k)
            if x is not None:
                _walk(x, child, event, f"{path}.{k}", variant, tally, where)
    elif kind == "u":
        if type(v) is not dict:
            return
        t = v.get("type")
        member = node[1].get(t) if isinstance(t, str) else None
        if member is not None:
            _walk(v, member, event, path, t, tally, where)
        elif node[2] is not None:
            _walk(v, node[2], event, path, variant, tally, where)
        elif isinstance(t, str):
            tally.add((event, path, t), "tag", where)
    elif kind == "a":
        if type(v) is list and node[1] is not None:
            item = node[1]
            p = path + "[]"
            for x in v:
                if x is not None:
                    _walk(x, item, event, p, variant, tally, where)


_event_nodes: dict[str, _Node] = {}
_plain = msgspec.json.Decoder()


def _slow(raw: Any, tally: _Tally, where: Callable[[], str], strict: _Strict) -> bool:
    """Walk one event that failed the strict twin; False when it is not a JSON object with a string type."""
    try:
        v: JSONValue = _plain.decode(raw)
    except msgspec.DecodeError:
        return False
    if type(v) is not dict or not isinstance(v.get("type"), str):
        return False
    tag = v["type"]
    cls = EVENT_TYPES.get(tag)
    if cls is None:
        tally.add((tag, "$", None), "event", where)
        return True
    node = _event_nodes.get(tag)
    if node is None:
        node = _event_nodes[tag] = _struct(cls)
    _walk(v, node, tag, "$", None, tally, where)
    top = v.keys() - node[1]
    if top:
        strict.learn(tag, top)
    return True


# -- input ------------------------------------------------------------------------------------------------------

_SSE_DATA = re.compile(rb"^data:[ ]?(.*?)\r?$", re.M)


BLOCK_SIZE = 16 << 20  # bytes of a file read at a time: memory stays at a few blocks, whatever the file's size


def _chunks(source: Any) -> tuple[str, Iterator[bytes], Any]:
    """(name, the input's bytes in chunks, gzip undone, thing to close). A path is read a block at a time; a
    file object or a buffer is taken whole."""
    if isinstance(source, (str, os.PathLike)):
        f = open(cast("str | os.PathLike[str]", source), "rb")
        reader: Any = gzip.GzipFile(fileobj=f) if f.peek(2)[:2] == b"\x1f\x8b" else f

        def blocks() -> Iterator[bytes]:
            done = 0
            while True:
                try:
                    b = reader.read(BLOCK_SIZE)
                except _GZIP_ERRORS as e:
                    raise _gzip_error(source, e, done) from None
                if not b:
                    return
                done += len(b)
                yield b

        return os.fspath(source), blocks(), f
    if hasattr(source, "read"):
        data = source.read()
        name = str(getattr(source, "name", "<stream>"))
    else:
        data = source if isinstance(source, bytes) else bytes(source)
        name = "<buffer>"
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except _GZIP_ERRORS as e:
            raise _gzip_error(name, e, None) from None
    return name, iter((data,)), None


_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def _gzip_error(source: Any, e: BaseException, done: int | None) -> DecodeError:
    """A corrupt or truncated gzip input: a DecodeError naming the source (as every other file error)."""
    after = "" if done is None else f" after uncompressed byte {done:,}"
    return DecodeError(
        f"{os.fspath(source) if not isinstance(source, str) else source}: gzip data is corrupt or "
        f"ends early{after} ({e})"
    )


def _cut(buf: bytes, fmt: str) -> int:
    """Where a block may end: after its last complete line (NDJSON) or event (SSE); 0: nowhere yet."""
    if fmt == "ndjson":
        return buf.rfind(b"\n") + 1
    if fmt == "sse":
        lf, crlf = buf.rfind(b"\n\n"), buf.rfind(b"\n\r\n")
        return max(lf + 2 if lf >= 0 else 0, crlf + 3 if crlf >= 0 else 0)
    return 0  # an array is decoded whole


def _blocks(chunks: Iterator[bytes], format: str | None, bom: bool = True) -> Iterator[tuple[bytes, str]]:
    """(block, format): the input cut at boundaries of its format, a byte order mark at the start dropped
    (``bom=False``: the chunks are a byte range from within the input, none is dropped)."""
    carry = b""
    fmt = format
    start = bom
    for chunk in chunks:
        buf = carry + chunk if carry else chunk
        if start:
            if len(buf) < 3:
                carry = buf
                continue
            buf, start = _no_bom(buf), False
        if fmt is None:
            if not buf.strip():
                carry = buf
                continue
            fmt = _format(buf)
        at = _cut(buf, fmt)
        if at <= 0:
            carry = buf
            continue
        yield buf[:at], fmt
        carry = buf[at:]
    if carry:
        if start:
            carry = _no_bom(carry)
        yield carry, fmt or _format(carry)


def _no_bom(data: bytes) -> bytes:
    """A UTF-8 byte order mark at the start is no part of the first event (its line number stays 1)."""
    return data[3:] if data[:3] == BOM else data


def _format(buf: Any) -> str:
    for i in range(min(len(buf), 4096)):
        c = buf[i : i + 1]
        if c in (b" ", b"\t", b"\r", b"\n", b"\xef", b"\xbb", b"\xbf"):
            continue
        return "array" if c == b"[" else "ndjson" if c == b"{" else "sse"
    return "ndjson"


def _events(buf: Any, fmt: str) -> Iterator[tuple[Any, int]]:
    """(raw event bytes, byte offset of its start)."""
    if fmt == "ndjson":
        n = len(buf)
        pos = 0
        find = buf.find
        while pos < n:
            end = find(b"\n", pos)
            if end < 0:
                end = n
            line = buf[pos:end]
            if line.strip():
                yield line, pos
            pos = end + 1
    elif fmt == "sse" and b"\r" not in buf:
        # the common case: events are blocks between blank lines, most with one data line
        pos = 0
        for block in buf.split(b"\n\n"):
            i = block.find(b"data:")
            if i >= 0 and (i == 0 or block[i - 1] == 10):
                end = block.find(b"\n", i)
                if end < 0 and block.find(b"\ndata:", i) < 0:
                    data = block[i + 5 :]
                elif block.find(b"\ndata:", i) < 0:
                    data = block[i + 5 : end]
                else:
                    data = b"\n".join(m.group(1) for m in _SSE_DATA.finditer(block))
                if data[:1] == b" ":
                    data = data[1:]
                if data.strip() != b"[DONE]":
                    yield data, pos + i
            elif i > 0 and _SSE_DATA.search(block):  # a data line after a comment or event line
                data = b"\n".join(m.group(1) for m in _SSE_DATA.finditer(block))
                if data.strip() != b"[DONE]":
                    yield data, pos + i
            pos += len(block) + 2
    elif fmt == "sse":
        pending: list[bytes] = []
        start = 0
        last_end = -2
        for m in _SSE_DATA.finditer(buf):
            if pending and m.start() != last_end + 1:  # not the next line: the previous event ended
                data = b"\n".join(pending)
                if data.strip() != b"[DONE]":
                    yield data, start
                pending = []
            if not pending:
                start = m.start()
            pending.append(m.group(1))
            last_end = m.end() + (1 if buf[m.end() : m.end() + 1] == b"\r" else 0)
        if pending:
            data = b"\n".join(pending)
            if data.strip() != b"[DONE]":
                yield data, start
    else:
        try:
            items = RAW_ARRAY.decode(buf)
        except msgspec.DecodeError:  # broken somewhere: the elements up to the break, then the break itself
            yield from _array_up_to_break(buf)
            return
        for raw in items:
            yield bytes(raw), -1  # where it is: looked up only for an event with a finding


def _array_up_to_break(buf: Any) -> Iterator[tuple[Any, int]]:
    """The elements of an array that does not parse, as far as it parses; then one malformed piece (``b""``)
    standing for the rest, so that the break is counted instead of the source reading as empty."""
    try:
        for _, raw in iter_events(io.BytesIO(bytes(buf)), format="array", errors="replace", raw=True):
            yield raw, -1
    except DecodeError:
        yield b"", -1


def audit(
    *sources: str | os.PathLike[str] | IO[bytes] | bytes | bytearray | memoryview,
    format: Literal["ndjson", "sse", "array"] | None = None,
    jobs: int | None = None,
) -> AuditReport:
    """Every wire tag and field of ``sources`` that the model does not keep, with counts and first FILE:LINE.

    ``sources``: paths (gzip detected), binary file objects or buffers; ``format``: as for
    :func:`iter_events` (``None``: detected per source from its first byte). The report's ``ok`` is False when
    anything would be lost; ``format()`` renders it. Unknown event types, unknown nested tags and unknown
    fields are reported; values the model keeps whole (``Any``/``dict`` fields) are not looked into.
    ``jobs``: worker processes for a path to a regular NDJSON or SSE file of 8 MiB or more (``0``: one per
    CPU; ``None``/``1``: one job), each auditing a byte range; the report is the same as with one job.
    """
    n_jobs = resolve_jobs(jobs)
    strict = _Strict()
    tally = _Tally()
    events = malformed = 0
    for source in sources:
        ranges = None
        path = ""
        if n_jobs > 1 and isinstance(source, (str, os.PathLike)) and splittable(source):
            path = os.fspath(source)
            ranges = plan(path, format or _head_format(path), n_jobs)
        if ranges is not None:
            base = 0
            for ev_n, bad_n, counts, firsts, kinds, lines in imap(_audit_job, [(rng,) for rng in ranges], n_jobs):
                events += ev_n
                malformed += bad_n
                for key, n in counts.items():
                    if key in tally.counts:
                        tally.counts[key] += n
                    else:
                        tally.counts[key] = n
                        tally.first[key] = f"{path}:{firsts[key] + base}"
                        tally.kinds[key] = kinds[key]
                base += lines
            continue
        name, chunks, closer = _chunks(source)
        try:
            ev_n, bad_n, _ = _scan(name, chunks, format, strict, tally)
            events += ev_n
            malformed += bad_n
        finally:
            if closer is not None:
                closer.close()
    order = sorted(tally.counts, key=lambda k: (_order_key(tally.first[k]), k))
    findings = tuple(
        AuditFinding(
            event=k[0], path=k[1], variant=k[2], kind=tally.kinds[k], count=tally.counts[k], first=tally.first[k]
        )
        for k in order
    )
    return AuditReport(events=events, malformed=malformed, findings=findings)


def _head_format(path: str | os.PathLike[str]) -> str | None:
    """The format of a file by its first bytes, as :func:`_format` tells it; None: not told there (one job)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    s = _no_bom(head).strip()
    return _format(s) if s else None


def _scan(
    name: str, chunks: Iterator[bytes], format: str | None, strict: _Strict, tally: _Tally, bom: bool = True
) -> tuple[int, int, int]:
    """Audit one input's chunks into ``tally``: (events, malformed, newlines). ``bom``: the chunks start the
    input (a byte order mark there is dropped)."""
    attrs = strict.attrs
    unset = msgspec.UNSET
    events = malformed = 0
    base = 0  # lines before the block
    for buf, fmt in _blocks(chunks, format, bom):
        line_at = _LineCounter(buf, base)
        for raw, off in _events(buf, fmt):
            events += 1
            # where it is, told only for a finding: the values bound now (defaults), the line counted then. Lambdas,
            # not annotated defs (a def per event costs more); pyright types a lambda's defaulted parameter as
            # "its default's type | Unknown", hence the ignores.
            if off >= 0:
                where: Any = lambda o=off, n=name, la=line_at: f"{n}:{la(o)}"  # noqa: E731  # pyright: ignore[reportUnknownLambdaType, reportUnknownVariableType]
            else:
                where = lambda r=raw, n=name, la=line_at: f"{n}:{la(la.find(r))}"  # noqa: E731  # pyright: ignore[reportUnknownLambdaType, reportUnknownVariableType, reportUnknownMemberType, reportUnknownArgumentType]
            try:
                ev: object = strict.decoder.decode(raw)
            except (msgspec.ValidationError, msgspec.DecodeError):
                if not _slow(raw, tally, where, strict):
                    malformed += 1
                continue
            learned = attrs.get(type(ev)) if attrs else None
            if learned:
                tag, pairs = learned
                for attr, key in pairs:
                    if getattr(ev, attr) is not unset:
                        tally.add((tag, f"$.{key}", None), "field", where)
        base += buf.count(b"\n")
    return events, malformed, base


def _audit_job(rng: Any) -> tuple[int, int, dict[Any, int], dict[Any, int], dict[Any, Kind], int]:
    """One byte range of a file audited (in a worker): events, malformed, counts, first lines (range-relative),
    kinds, newlines."""

    def chunks() -> Iterator[bytes]:
        with open(rng.path, "rb") as f:
            f.seek(rng.start)
            left = rng.end - rng.start
            while left > 0:
                b = f.read(min(BLOCK_SIZE, left))
                if not b:
                    return
                left -= len(b)
                yield b

    tally = _Tally()
    events, malformed, lines = _scan("", chunks(), rng.fmt, _Strict(), tally, bom=rng.start == 0)
    firsts = {k: int(v.rpartition(":")[2]) for k, v in tally.first.items()}
    return events, malformed, tally.counts, firsts, tally.kinds, lines


def _order_key(first: str) -> tuple[str, int]:
    name, _, line = first.rpartition(":")
    return (name, int(line) if line.isdigit() else 0)


class _LineCounter:
    """Line number (1-based) of a byte offset, counted incrementally (offsets asked for in rising order are
    counted once in all)."""

    __slots__ = ("base", "buf", "line", "pos")

    def __init__(self, buf: Any, base: int = 0) -> None:
        self.buf, self.pos, self.line, self.base = buf, 0, 1 + base, base

    def find(self, raw: bytes) -> int:
        """Offset of an array element's bytes, searched from the last offset asked for."""
        i: int = self.buf.find(raw, self.pos)
        return i if i >= 0 else max(int(self.buf.find(raw)), 0)

    def __call__(self, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.line = 0, 1 + self.base
        self.line += self.buf.count(b"\n", self.pos, offset)
        self.pos = offset
        return self.line
