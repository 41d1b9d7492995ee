"""Rows and Arrow tables of events and of accumulated responses.

The column lists (``EVENT_COLUMNS``, ``RESPONSE_COLUMNS``: name -> ``"string"``/``"int64"``/``"double"``/
``"bool"``) and the row functions need nothing but msgspec. ``to_arrow``, ``responses_to_arrow`` and the
published schemas ``EVENT_SCHEMA``/``RESPONSE_SCHEMA`` import ``pyarrow`` (the ``arrow`` extra) when used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec

from ._accumulate import ResponseAccumulator
from ._builtins import to_builtins
from ._errors import InvalidEvent, UnknownEvent

if TYPE_CHECKING:
    import pyarrow

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_SCHEMA",  # noqa: F822 - built by __getattr__ on first use
    "RESPONSE_COLUMNS",
    "RESPONSE_SCHEMA",  # noqa: F822
    "event_row",
    "response_row",
    "responses_to_arrow",
    "to_arrow",
]

#: One row per event. ``rest`` holds the event's other fields as a JSON object (for a response event the
#: whole ``response`` object stays there too); for an unknown event, its JSON as received; for an invalid
#: one, its raw text. ``known`` is false for unknown and invalid events; ``error`` is set for invalid ones.
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
_COMMON = ("sequence_number", "item_id", "output_index", "content_index", "delta")
_INT_COLUMNS = {"sequence_number", "output_index", "content_index"}


def _int(v: Any) -> int | None:
    return v if type(v) is int else None


def _str(v: Any) -> str | None:
    return v if type(v) is str else None


def _usage(row: dict[str, Any], usage: Any) -> None:
    if not isinstance(usage, dict):
        return
    row["input_tokens"] = _int(usage.get("input_tokens"))
    row["output_tokens"] = _int(usage.get("output_tokens"))
    row["total_tokens"] = _int(usage.get("total_tokens"))
    details = usage.get("output_tokens_details")
    if isinstance(details, dict):
        row["reasoning_tokens"] = _int(details.get("reasoning_tokens"))
    details = usage.get("input_tokens_details")
    if isinstance(details, dict):
        row["cached_tokens"] = _int(details.get("cached_tokens"))
    cost = usage.get("cost")
    row["cost"] = float(cost) if type(cost) in (int, float) else None


def event_row(event: object) -> dict[str, Any]:
    """One event as a row of :data:`EVENT_COLUMNS` (every column present; ``None`` where it does not apply)."""
    row: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS)
    if isinstance(event, InvalidEvent):
        row["known"] = False
        row["error"] = str(event.error)
        row["rest"] = bytes(event.raw).decode("utf-8", "replace")
        return row
    d = to_builtins(event)
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
    resp = d.get("response")
    if isinstance(resp, dict):
        row["response_id"] = _str(resp.get("id"))
        row["model"] = _str(resp.get("model"))
        row["status"] = _str(resp.get("status"))
        _usage(row, resp.get("usage"))
    if isinstance(event, UnknownEvent):
        row["rest"] = bytes(event.raw).decode("utf-8", "replace")
    elif d:
        row["rest"] = _encode(d).decode()
    return row


def response_row(acc: ResponseAccumulator) -> dict[str, Any]:
    """One accumulated response as a row of :data:`RESPONSE_COLUMNS`."""
    row: dict[str, Any] = dict.fromkeys(RESPONSE_COLUMNS)
    resp = acc.response
    row["status"] = acc.status
    row["events"] = acc.events
    row["first_sequence_number"] = acc.first_sequence_number
    row["last_sequence_number"] = acc.last_sequence_number
    row["output_text"] = acc.output_text
    summaries = acc.summaries
    row["reasoning_summary"] = "\n\n".join(summaries.values()) if summaries else None
    calls = []
    for item in acc.output:
        if getattr(item, "type", None) in ("function_call", "custom_tool_call", "mcp_call"):
            args = getattr(item, "arguments", None)
            calls.append({"type": item.type, "name": getattr(item, "name", None),
                          "call_id": getattr(item, "call_id", None),
                          "arguments": args if args is not None else getattr(item, "input", None)})
    row["function_calls"] = _encode(calls).decode() if calls else None
    row["error_events"] = len(acc.errors)
    row["problem_count"] = len(acc.problems)
    row["problems"] = _encode([p._asdict() for p in acc.problems]).decode() if acc.problems else None
    if acc.errors:
        last = acc.errors[-1]
        row["error_code"] = getattr(last, "code", None)
        row["error_message"] = getattr(last, "message", None)
    if resp is not None:
        d = to_builtins(resp)
        row["response_id"] = _str(d.get("id"))
        row["model"] = _str(d.get("model"))
        for name in ("created_at", "completed_at"):
            v = d.get(name)
            row[name] = float(v) if type(v) in (int, float) else None
        _usage(row, d.get("usage"))
        err = d.get("error")
        if isinstance(err, dict):
            row["error_code"] = _str(err.get("code"))
            row["error_message"] = _str(err.get("message"))
        inc = d.get("incomplete_details")
        if isinstance(inc, dict):
            row["incomplete_reason"] = _str(inc.get("reason"))
        row["response"] = _encode(d).decode()
    return row


def _schema(columns: dict[str, str]) -> pyarrow.Schema:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "double": pa.float64(), "bool": pa.bool_()}
    return pa.schema([pa.field(name, types[t]) for name, t in columns.items()])


def _table(rows: Iterable[dict[str, Any]], columns: dict[str, str]) -> pyarrow.Table:
    import pyarrow as pa

    cols: dict[str, list[Any]] = {name: [] for name in columns}
    appends = [(name, cols[name].append) for name in columns]
    for row in rows:
        for name, append in appends:
            append(row[name])
    return pa.Table.from_pydict(cols, schema=_schema(columns))


def to_arrow(events: Iterable[object]) -> pyarrow.Table:
    """An Arrow table of events, one row each, with the columns of :data:`EVENT_SCHEMA`."""
    return _table(map(event_row, events), EVENT_COLUMNS)


def responses_to_arrow(accumulators: Iterable[ResponseAccumulator]) -> pyarrow.Table:
    """An Arrow table of accumulated responses, one row each, with the columns of :data:`RESPONSE_SCHEMA`."""
    return _table(map(response_row, accumulators), RESPONSE_COLUMNS)


def __getattr__(name: str) -> Any:  # EVENT_SCHEMA / RESPONSE_SCHEMA: built (and pyarrow imported) on first use
    if name == "EVENT_SCHEMA":
        return _schema(EVENT_COLUMNS)
    if name == "RESPONSE_SCHEMA":
        return _schema(RESPONSE_COLUMNS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
