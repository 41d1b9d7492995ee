"""Rows and Arrow tables of events and of accumulated responses.

The column lists (``EVENT_COLUMNS``, ``RESPONSE_COLUMNS``: name -> ``"string"``/``"int64"``/``"double"``/
``"bool"``/``"binary"``) and the row functions need nothing but msgspec. ``to_arrow``, ``responses_to_arrow``
and the published schemas ``EVENT_SCHEMA``/``RESPONSE_SCHEMA`` import ``pyarrow`` (the ``arrow`` extra) when
used; without it they raise :class:`MissingExtraError` (an ``ImportError``) naming the ``pip install`` line.

``to_arrow`` builds its columns class by class (every event of one class has the same fields), with C-level
attribute getters, one small table per class, put back in input order by one ``take``: no row dicts.
"""

from __future__ import annotations

import typing
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import compress, repeat, starmap
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

import msgspec

from ._accumulate import ResponseAccumulator
from ._builtins import JSONValue, to_builtins
from ._errors import InvalidEvent, MissingExtraError, UnknownEvent, kept_raw
from ._gc import run_paused

if TYPE_CHECKING:
    import pyarrow

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_SCHEMA",
    "RESPONSE_COLUMNS",
    "RESPONSE_SCHEMA",
    "event_row",
    "response_row",
    "responses_to_arrow",
    "to_arrow",
]

#: One row per event. ``rest`` holds the event's other fields as a JSON object (for a response event the
#: whole ``response`` object stays there too); for an unknown event, its JSON as received; for an invalid
#: one, its raw text. ``known`` is false for unknown and invalid events; ``error`` is set for invalid ones.
#: ``raw`` is the event's JSON exactly as received: always for unknown and invalid events, and for every
#: event when the original bytes are passed (``to_arrow(events, raw=...)`` or ``(event, raw)`` pairs). A
#: number a typed column cannot hold (an integer beyond int64) is null there; ``raw`` then keeps it (the
#: event's own JSON when no original bytes were passed).
EVENT_COLUMNS: dict[str, str] = {
    "type": "string",
    "sequence_number": "int64",
    "item_id": "string",
    "output_index": "int64",
    "content_index": "int64",
    "delta": "string",
    "response_id": "string",
    "model": "string",
    "status": "string",
    "input_tokens": "int64",
    "output_tokens": "int64",
    "total_tokens": "int64",
    "reasoning_tokens": "int64",
    "cached_tokens": "int64",
    "cost": "double",
    "known": "bool",
    "error": "string",
    "rest": "string",
    "raw": "binary",
}

#: One row per accumulated response (see :class:`ResponseAccumulator`). ``function_calls`` is a JSON list
#: of ``{"name", "call_id", "arguments"}``; ``problems`` a JSON list of ``{"kind", "sequence_number",
#: "message"}``; ``response`` the whole final response object as JSON.
RESPONSE_COLUMNS: dict[str, str] = {
    "response_id": "string",
    "model": "string",
    "status": "string",
    "created_at": "double",
    "completed_at": "double",
    "events": "int64",
    "first_sequence_number": "int64",
    "last_sequence_number": "int64",
    "output_text": "string",
    "reasoning_summary": "string",
    "function_calls": "string",
    "input_tokens": "int64",
    "output_tokens": "int64",
    "total_tokens": "int64",
    "reasoning_tokens": "int64",
    "cached_tokens": "int64",
    "cost": "double",
    "error_code": "string",
    "error_message": "string",
    "incomplete_reason": "string",
    "error_events": "int64",
    "problem_count": "int64",
    "problems": "string",
    "response": "string",
}

if TYPE_CHECKING:
    EVENT_SCHEMA: pyarrow.Schema  # the Arrow schema of EVENT_COLUMNS
    RESPONSE_SCHEMA: pyarrow.Schema  # the Arrow schema of RESPONSE_COLUMNS

_encode = msgspec.json.encode
_enc = msgspec.json.Encoder(enc_hook=kept_raw).encode  # nested UnknownValue/InvalidValue: their bytes
_COMMON = ("sequence_number", "item_id", "output_index", "content_index", "delta")
_INT_COLUMNS = {"sequence_number", "output_index", "content_index"}
_RESPONSE_COLS = (
    "response_id",
    "model",
    "status",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cost",
)
_INT64 = (-(1 << 63), (1 << 63) - 1)


def _int(v: Any) -> int | None:
    return v if type(v) is int and _INT64[0] <= v <= _INT64[1] else None


def _str(v: Any) -> str | None:
    return v if type(v) is str else None


def _float(v: Any) -> float | None:
    if type(v) is float:
        return v
    if type(v) is int:
        try:
            return float(v)
        except OverflowError:  # an integer beyond float range
            return None
    return None


def _pyarrow(what: str) -> Any:
    try:
        import pyarrow
    except ImportError:
        raise MissingExtraError(what, "arrow", "pyarrow") from None
    return pyarrow


def _compute() -> Any:
    """``pyarrow.compute``, as ``Any`` like the ``pa`` this module passes around: its stubs leave the array
    types of most functions unparametrised."""
    import pyarrow.compute as pc

    return pc


def _usage(row: dict[str, Any], usage: JSONValue) -> None:
    if not isinstance(usage, dict):
        return
    row["input_tokens"] = _int(usage.get("input_tokens"))
    row["output_tokens"] = _int(usage.get("output_tokens"))
    row["total_tokens"] = _int(usage.get("total_tokens"))
    details: JSONValue = usage.get("output_tokens_details")
    if isinstance(details, dict):
        row["reasoning_tokens"] = _int(details.get("reasoning_tokens"))
    details = usage.get("input_tokens_details")
    if isinstance(details, dict):
        row["cached_tokens"] = _int(details.get("cached_tokens"))
    row["cost"] = _float(usage.get("cost"))


def _out_of_range(d: JSONValue) -> bool:
    """Whether a JSON value holds an integer beyond int64 (a typed column would have to drop it)."""
    if type(d) is int:
        return not _INT64[0] <= d <= _INT64[1]
    if isinstance(d, dict):
        return any(map(_out_of_range, d.values()))
    if isinstance(d, list):
        return any(map(_out_of_range, d))
    return False


def event_row(event: object, raw: bytes | None = None) -> dict[str, Any]:
    """One event as a row of :data:`EVENT_COLUMNS` (every column present; ``None`` where it does not apply).
    ``raw``: the event's original bytes, for the ``raw`` column."""
    row: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS)
    if isinstance(event, InvalidEvent):
        row["known"] = False
        row["error"] = str(event.error)
        row["rest"] = bytes(event.raw).decode("utf-8", "replace")
        row["raw"] = bytes(event.raw) if raw is None else raw
        return row
    plan = _plan(type(event))
    if plan is not None:  # a typed event (or a projection): the same values as to_arrow's columns
        return _struct_row(row, plan, event, raw)
    d: JSONValue = to_builtins(event)
    if not isinstance(d, dict):
        raise TypeError(f"event_row: not an event: {type(event).__name__}")
    row["known"] = not isinstance(event, UnknownEvent)
    row["type"] = _str(d.pop("type", None))
    for name in _COMMON:
        if name in d:
            v = d[name]
            ok = _int(v) if name in _INT_COLUMNS else _str(v)
            if ok is not None:
                row[name] = ok
                del d[name]
    resp: JSONValue = d.get("response")
    if isinstance(resp, dict):
        row["response_id"] = _str(resp.get("id"))
        row["model"] = _str(resp.get("model"))
        row["status"] = _str(resp.get("status"))
        _usage(row, resp.get("usage"))
    if isinstance(event, UnknownEvent):
        row["rest"] = bytes(event.raw).decode("utf-8", "replace")
        row["raw"] = bytes(event.raw) if raw is None else raw
    else:
        if d:
            row["rest"] = _encode(d).decode()
        row["raw"] = raw
        if raw is None and _out_of_range(d):
            row["raw"] = _encode(event)  # the typed columns drop it: keep the event's JSON
    return row


def _struct_row(row: dict[str, Any], plan: _Plan, event: Any, raw: bytes | None) -> dict[str, Any]:
    row["known"] = True
    row["type"] = plan.tag if plan.tag is not None else _str(getattr(event, "type", None))
    dropped = False
    for name in plan.cols:
        v = getattr(event, name)
        if name in _INT_COLUMNS and v is not None and _int(v) is None:
            v, dropped = None, True  # beyond int64: kept in `raw`
        row[name] = v
    if plan.response:
        row.update(zip(_RESPONSE_COLS, _response_values(event.response), strict=True))
    if plan.rest_cls is not None:
        got = plan.rest_get(event)
        rest = _enc(plan.rest_cls(got) if plan.rest_one else plan.rest_cls(*got))
        row["rest"] = None if rest == b"{}" else rest.decode()
    row["raw"] = _enc(event) if raw is None and dropped else raw
    return row


def _error_fields(ev: Any) -> tuple[str | None, str | None]:
    """``(code, message)`` of an ``error`` event, flat (``code``, ``message``) or nested (``error.code``)."""
    code, message = _str(getattr(ev, "code", None)), _str(getattr(ev, "message", None))
    nested: JSONValue | object = getattr(ev, "error", None)
    if nested is not None:
        if isinstance(nested, dict):
            nested = cast("dict[str, Any]", nested)  # a dict from JSON (the last error event's, not per row)
            code = code or _str(nested.get("code"))
            message = message or _str(nested.get("message"))
        else:
            code = code or _str(getattr(nested, "code", None))
            message = message or _str(getattr(nested, "message", None))
    return code, message


def response_row(acc: ResponseAccumulator) -> dict[str, Any]:
    """One accumulated response as a row of :data:`RESPONSE_COLUMNS`."""
    row: dict[str, Any] = dict.fromkeys(RESPONSE_COLUMNS)
    resp = acc.response
    row["status"] = acc.status
    row["events"] = acc.events
    row["first_sequence_number"] = _int(acc.first_sequence_number)
    row["last_sequence_number"] = _int(acc.last_sequence_number)
    row["output_text"] = acc.output_text
    summaries = acc.summaries
    row["reasoning_summary"] = "\n\n".join(s for s in summaries.values() if isinstance(s, str)) if summaries else None
    calls: list[dict[str, Any]] = []
    for item in acc.output:
        if getattr(item, "type", None) in ("function_call", "custom_tool_call", "mcp_call"):
            args = getattr(item, "arguments", None)
            calls.append(
                {
                    "type": item.type,
                    "name": getattr(item, "name", None),
                    "call_id": getattr(item, "call_id", None),
                    "arguments": args if args is not None else getattr(item, "input", None),
                }
            )
    row["function_calls"] = _enc(calls).decode() if calls else None
    row["error_events"] = len(acc.errors)
    row["problem_count"] = len(acc.problems)
    row["problems"] = _encode([p._asdict() for p in acc.problems]).decode() if acc.problems else None
    if acc.errors:
        row["error_code"], row["error_message"] = _error_fields(acc.errors[-1])
    if resp is not None:
        d: JSONValue = to_builtins(resp)
        if isinstance(d, dict):
            row["response_id"] = _str(d.get("id"))
            row["model"] = _str(d.get("model"))
            for name in ("created_at", "completed_at"):
                row[name] = _float(d.get(name))
            _usage(row, d.get("usage"))
            err: JSONValue = d.get("error")
            if isinstance(err, dict):
                row["error_code"] = _str(err.get("code")) or row["error_code"]
                row["error_message"] = _str(err.get("message")) or row["error_message"]
            inc: JSONValue = d.get("incomplete_details")
            if isinstance(inc, dict):
                row["incomplete_reason"] = _str(inc.get("reason"))
            row["response"] = _encode(d).decode()
    return row


def _schema(columns: dict[str, str]) -> pyarrow.Schema:
    pa = _pyarrow("the Arrow schemas")
    types = {
        "string": pa.string(),
        "int64": pa.int64(),
        "double": pa.float64(),
        "bool": pa.bool_(),
        "binary": pa.binary(),
    }
    schema: pyarrow.Schema = pa.schema([pa.field(name, types[t]) for name, t in columns.items()])
    return schema


def _array(pa: Any, values: list[Any], typ: Any) -> Any:
    """``pa.array``, with values a column cannot hold (an int beyond int64, a huge int in a double column)
    as nulls instead of an ``OverflowError``."""
    try:
        return pa.array(values, typ)
    except (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError):
        fix = (
            _int
            if pa.types.is_integer(typ)
            else _float
            if pa.types.is_floating(typ)
            else _str
            if pa.types.is_string(typ)
            else None
        )
        if fix is None:
            raise
        return pa.array([None if v is None else fix(v) for v in values], typ)


def _table(rows: Iterable[dict[str, Any]], columns: dict[str, str]) -> pyarrow.Table:
    pa = _pyarrow("an Arrow table")
    schema: Any = _schema(columns)  # as Any like `pa`: the stubs' Field is unparametrised
    cols: dict[str, list[Any]] = {name: [] for name in columns}
    appends = [(name, cols[name].append) for name in columns]
    for row in rows:
        for name, append in appends:
            append(row[name])
    table: pyarrow.Table = pa.Table.from_arrays([_array(pa, cols[f.name], f.type) for f in schema], schema=schema)
    return table


# -- to_arrow, class by class --------------------------------------------------------------------------------

_INT_TYPES: set[type[Any]] = {int}
_STR_TYPES: set[type[Any]] = {str}


def _fits(tp: Any, allowed: set[type[Any]]) -> bool:
    args = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, type(int | None)) else (tp,)
    return bool(args) and all(a is type(None) or a in allowed for a in args) and any(a in allowed for a in args)


class _Plan:
    """How the events of one Struct class become columns: which common fields feed typed columns, which
    getter reads them, the mirror Struct that encodes the other fields as ``rest``, whether it carries a
    ``response`` object."""

    __slots__ = ("tag", "fields", "cols", "rest_get", "rest_cls", "rest_one", "response")

    def __init__(self, cls: type[Any]) -> None:
        fields = msgspec.structs.fields(cls)
        self.fields = {f.name for f in fields}
        tag = getattr(cls, "type", None)
        self.tag: str | None = tag if isinstance(tag, str) else None
        self.cols: list[str] = []
        rest: list[Any] = []
        rename: dict[str, str] = {}
        for f in fields:
            allowed = _INT_TYPES if f.name in _INT_COLUMNS else _STR_TYPES if f.name in _COMMON else None
            if allowed is not None and _fits(f.type, allowed):
                self.cols.append(f.name)
                continue
            if f.required:
                rest.append((f.name, Any))
            elif f.default_factory is not msgspec.NODEFAULT:
                rest.append((f.name, Any, msgspec.field(default_factory=f.default_factory)))
            else:
                rest.append((f.name, Any, f.default))
            rename[f.name] = f.encode_name
        self.rest_cls: Any = None
        self.rest_get: Any = None
        self.rest_one = len(rest) == 1  # attrgetter of one name returns the value, not a 1-tuple
        if rest:
            rest.sort(key=len)  # required fields first: the mirror is built positionally (stable sort)
            self.rest_cls = msgspec.defstruct(f"{cls.__name__}Rest", rest, omit_defaults=True, gc=False, rename=rename)
            self.rest_get = attrgetter(*[r[0] for r in rest])
        self.response = any(f.name == "response" for f in fields)


_plans: dict[type[Any], _Plan | None] = {}


def _plan(cls: type[Any]) -> _Plan | None:
    """The plan of a Struct class, ``None`` for anything else (unknown and invalid events: row by row)."""
    try:
        return _plans[cls]
    except KeyError:
        pass
    plan = None
    if issubclass(cls, msgspec.Struct):
        try:
            plan = _Plan(cls)
        except Exception:  # an odd class: row by row
            plan = None
    _plans[cls] = plan
    return plan


def _response_values(resp: Any) -> list[Any]:
    """The response columns of one response object (typed Struct, or anything else: nulls)."""
    usage = getattr(resp, "usage", None)
    out: list[Any] = [
        _str(getattr(resp, "id", None)),
        _str(getattr(resp, "model", None)),
        _str(getattr(resp, "status", None)),
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    if usage is not None and isinstance(usage, msgspec.Struct):
        out[3] = _int(getattr(usage, "input_tokens", None))
        out[4] = _int(getattr(usage, "output_tokens", None))
        out[5] = _int(getattr(usage, "total_tokens", None))
        out[6] = _int(getattr(getattr(usage, "output_tokens_details", None), "reasoning_tokens", None))
        out[7] = _int(getattr(getattr(usage, "input_tokens_details", None), "cached_tokens", None))
        out[8] = _float(getattr(usage, "cost", None))
    return out


def _response_columns(rs: list[Any]) -> dict[str, list[Any]]:
    """The response columns of response objects, column by column (C-level getattr; a value of the wrong
    type, possible only outside the typed model, is fixed when the Arrow array is built)."""
    k = len(rs)

    def get(objs: list[Any], name: str) -> list[Any]:
        return list(map(getattr, objs, repeat(name, k), repeat(None, k)))

    usage = [u if isinstance(u, msgspec.Struct) else None for u in get(rs, "usage")]
    return {
        "response_id": get(rs, "id"),
        "model": get(rs, "model"),
        "status": get(rs, "status"),
        "input_tokens": get(usage, "input_tokens"),
        "output_tokens": get(usage, "output_tokens"),
        "total_tokens": get(usage, "total_tokens"),
        "reasoning_tokens": get(get(usage, "output_tokens_details"), "reasoning_tokens"),
        "cached_tokens": get(get(usage, "input_tokens_details"), "cached_tokens"),
        "cost": get(usage, "cost"),
    }


def _split_pairs(events: Iterable[Any], raw: Sequence[bytes | None] | None) -> tuple[list[Any], list[Any] | None]:
    # pyright narrows by `type(...) is list` to list[Unknown] (mypy: list[Any]); a cast would be redundant to mypy
    evs: list[Any] = events if type(events) is list else list(events)  # pyright: ignore[reportUnknownVariableType]
    if evs and isinstance(evs[0], tuple):  # (event, raw) pairs, e.g. Framed
        if raw is not None:
            raise TypeError("to_arrow: raw= given with (event, raw) pairs")
        for p in evs:
            # pyright narrows p to tuple[Unknown, ...]; a cast would cost a call per event
            if not (isinstance(p, tuple) and len(p) == 2):  # pyright: ignore[reportUnknownArgumentType]
                raise TypeError(
                    f"to_arrow: expected (event, raw) pairs like the first, got {type(cast(object, p)).__name__}"
                )
        return [p[0] for p in evs], [p[1] for p in evs]
    if raw is not None:
        raws = list(raw)
        if len(raws) != len(evs):
            raise ValueError(f"to_arrow: {len(evs)} events but {len(raws)} raw values")
        return evs, raws
    return evs, None


_EMPTY = msgspec.defstruct("NoRest", [], gc=False)()  # encodes as {}: the rest of an event with no other field
_enc_lines = msgspec.json.Encoder(enc_hook=kept_raw).encode_lines
_append = cast("Callable[[list[Any], Any], None]", list.append)


def _lines_column(pa: Any, objs: list[Any]) -> Any:
    """A string array of each object's JSON (one ``encode_lines`` call, split by Arrow); ``{}`` as null."""
    pc = _compute()

    data = _enc_lines(objs)  # JSON has no raw newline: one line per object; msgspec writes valid UTF-8
    large = len(data) >= 1 << 31  # 32-bit offsets up to 2 GiB
    buf = pa.array([data], pa.large_binary() if large else pa.binary())
    col = pc.split_pattern(buf.view(pa.large_string() if large else pa.string()), "\n").values
    col = col.slice(0, len(col) - 1)  # the last newline leaves one empty piece
    if large:
        col = col.cast(pa.string())
    return pc.if_else(pc.equal(col, "{}"), pa.scalar(None, pa.string()), col)


def to_arrow(events: Iterable[object], raw: Sequence[bytes | None] | None = None) -> pyarrow.Table:
    """An Arrow table of events, one row each, with the columns of :data:`EVENT_SCHEMA`.

    ``events``: decoded events, or ``(event, raw)`` pairs (``Framed``). ``raw``: the original bytes of each
    event, in the same order, for the ``raw`` column (else it holds only unknown and invalid events' bytes).
    """
    pa = _pyarrow("to_arrow")
    evs, raws = _split_pairs(events, raw)
    # the build allocates a few tracked containers per row (value lists, getter tuples) and frees them all at
    # the end: with the collector paused (as decoding pauses it), they trip no collection of the caller's heap
    return run_paused(_to_arrow, pa, evs, raws)


def _to_arrow(pa: Any, evs: list[Any], raws: list[Any] | None) -> pyarrow.Table:
    schema: Any = _schema(EVENT_COLUMNS)  # as Any like `pa`: the stubs' Field is unparametrised
    n = len(evs)
    if n == 0:
        empty: pyarrow.Table = schema.empty_table()
        return empty
    classes = list(map(type, evs))
    kinds = set(classes)
    plans = {c: _plan(c) for c in kinds}
    consume = deque[Any](maxlen=0).extend

    def rows_of(selected: set[type[Any]]) -> list[int]:
        return list(compress(range(n), map(selected.__contains__, classes)))

    slow_kinds = {c for c, p in plans.items() if p is None}  # unknown, invalid and other events: row by row
    resp_kinds = {c for c, p in plans.items() if p is not None and p.response}
    picked = rows_of(slow_kinds | resp_kinds) if slow_kinds or resp_kinds else []  # one pass for both
    if slow_kinds and resp_kinds:
        slow = [i for i in picked if classes[i] in slow_kinds]
        resp = [i for i in picked if classes[i] in resp_kinds]
    else:
        slow, resp = (picked, []) if slow_kinds else ([], picked)
    slow_rows = [event_row(evs[i], None if raws is None else raws[i]) for i in slow]
    lists: dict[str, list[Any]] = {}

    # type: one code per class, a dictionary array cast to strings (no string per event in Python)
    tags = [p.tag if p is not None else None for p in plans.values()]
    if all(p.tag is not None for p in plans.values() if p is not None):
        code = {c: k for k, c in enumerate(plans)}
        arr = pa.DictionaryArray.from_arrays(
            pa.array(list(map(code.__getitem__, classes)), pa.int32()), pa.array(tags, pa.string())
        )
        type_col: Any = arr.cast(pa.string())
    else:  # a class without a fixed tag (a View whose tag is read per event)
        type_col = None
        lists["type"] = list(map(getattr, evs, repeat("type", n), repeat(None, n)))
    # the common columns: C-level getattr over every event, unfit classes' values nulled; a column no class
    # of the batch declares is all null
    for name in _COMMON:
        if not any(p is not None and name in p.cols for p in plans.values()):
            continue
        vals = lists[name] = list(map(getattr, evs, repeat(name, n), repeat(None, n)))
        unfit = {c for c, p in plans.items() if p is not None and name in p.fields and name not in p.cols}
        for i in rows_of(unfit) if unfit else ():
            vals[i] = None
    for i, row in zip(slow, slow_rows, strict=True):
        for name, vals in lists.items():
            vals[i] = row[name]
    arrays: dict[str, Any] = {}
    if type_col is not None:
        if slow:  # an unknown event's type is its own
            pc = _compute()
            mask = [False] * n
            for i in slow:
                mask[i] = True
            type_col = pc.replace_with_mask(
                type_col, pa.array(mask), pa.array([r["type"] for r in slow_rows], pa.string())
            )
        arrays["type"] = type_col
    bad: set[int] = set()  # rows with an integer a typed column cannot hold: their JSON goes to `raw`
    for name, vals in lists.items():
        typ = schema.field(name).type
        try:
            arrays[name] = pa.array(vals, typ)
        except (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError):
            fix = _int if name in _INT_COLUMNS else _str if typ == pa.string() else _float
            if name in _INT_COLUMNS or name in _RESPONSE_COLS:
                bad.update(i for i, v in enumerate(vals) if v is not None and fix(v) is None)
            arrays[name] = pa.array([None if v is None else fix(v) for v in vals], typ)
    # the sparse columns (response events' columns, unknown and invalid events' own): a short list each,
    # spread over the rows by one take whose other indices are null
    if resp or slow:
        at: list[int | None] = [None] * n
        sparse: dict[str, list[Any]] = {name: [] for name in (*_RESPONSE_COLS, "known", "error")}
        for k, i in enumerate(resp):
            at[i] = k
        sparse.update(_response_columns([evs[i].response for i in resp]))
        sparse["known"] = [True] * len(resp)
        sparse["error"] = [None] * len(resp)
        for k, (i, row) in enumerate(zip(slow, slow_rows, strict=True), len(resp)):
            at[i] = k
            for name, col in sparse.items():
                col.append(row[name])
        take = pa.array(at, pa.int32())
        for name, col in sparse.items():
            typ = schema.field(name).type
            arr = _array(pa, col, typ).take(take)
            arrays[name] = arr
        if "known" in arrays:  # rows not in the sparse set are typed events: known
            pc = _compute()
            arrays["known"] = pc.fill_null(arrays["known"], True)
    if "known" not in arrays:
        arrays["known"] = pa.repeat(pa.scalar(True), n)

    # rest: each class's other fields in its mirror Struct, all encoded by one encode_lines call
    if any(p is not None and p.rest_cls is not None for p in plans.values()):
        groups: dict[type[Any], list[Any]] = {c: [] for c in kinds}
        if len(kinds) == 1:
            groups[classes[0]] = evs
        else:
            consume(map(_append, map(groups.__getitem__, classes), evs))  # grouped by class, in C
        made: dict[type[Any], Any] = {}
        for c, group in groups.items():
            p = plans[c]
            if p is None or p.rest_cls is None:
                made[c] = repeat(_EMPTY)
            else:
                get, m = p.rest_get, p.rest_cls
                made[c] = iter(list(map(m, map(get, group)) if p.rest_one else starmap(m, map(get, group))))
        rest = _lines_column(pa, list(map(next, map(made.__getitem__, classes))))  # back in input order
        if slow:
            pc = _compute()
            mask = [False] * n
            for i in slow:
                mask[i] = True
            rest = pc.replace_with_mask(rest, pa.array(mask), pa.array([r["rest"] for r in slow_rows], pa.string()))
        arrays["rest"] = rest
    elif slow:
        vals = [None] * n
        for i, row in zip(slow, slow_rows, strict=True):
            vals[i] = row["rest"]
        arrays["rest"] = pa.array(vals, pa.string())

    if raws is not None or slow or bad:
        raw_list: list[Any] = list(raws) if raws is not None else [None] * n
        for i, row in zip(slow, slow_rows, strict=True):
            raw_list[i] = row["raw"]
        for i in bad:
            if raw_list[i] is None:
                raw_list[i] = _enc(evs[i])
        arrays["raw"] = pa.array(raw_list, pa.binary())
    table: pyarrow.Table = pa.Table.from_arrays(
        [arrays[f.name] if f.name in arrays else pa.nulls(n, f.type) for f in schema], schema=schema
    )
    return table


def responses_to_arrow(accumulators: Iterable[ResponseAccumulator]) -> pyarrow.Table:
    """An Arrow table of accumulated responses, one row each, with the columns of :data:`RESPONSE_SCHEMA`."""
    return _table(map(response_row, accumulators), RESPONSE_COLUMNS)


def __getattr__(name: str) -> Any:  # EVENT_SCHEMA / RESPONSE_SCHEMA: built (and pyarrow imported) on first use
    if name == "EVENT_SCHEMA":
        return _schema(EVENT_COLUMNS)
    if name == "RESPONSE_SCHEMA":
        return _schema(RESPONSE_COLUMNS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
