"""Spark: decode event payloads inside ``DataFrame.mapInArrow`` to the toolkit's typed event columns.

``df.mapInArrow(decode_arrow, EVENT_SCHEMA)`` reads a column named ``value`` (string or binary) and yields one
row per event, with the columns of :data:`openresponses_msgspec.arrow.EVENT_COLUMNS` (the same table as
:func:`openresponses_msgspec.to_arrow`). A ``value`` is either

- one event (``spark.read.text`` over NDJSON logs, a Kafka ``value`` column, a table of payloads): the values of
  a whole Arrow batch are then decoded in one msgspec call; or
- a whole file (``spark.read.text(path, wholetext=True)``): NDJSON, or SSE when it starts with an SSE field
  (``data:``, ``event:``, ``id:``, ``retry:``) or a comment. SSE logs must be read whole: line rows split frames.

Every row's ``raw`` column holds the event's original JSON (the value, the NDJSON line, the SSE event's data), so
no wire field is lost. Bad lines become rows with ``known = false`` and ``error`` set (the line's text in ``rest``):
a job never fails on a bad line. Importing this module imports neither pyspark nor pyarrow (``EVENT_SCHEMA`` is
built on first use); the functions run on the executors, which must have this package installed (``spark`` extra).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from ._bytes import JSON_WS as _WS
from ._decoder import Framed, decode_lines
from ._messages import DEFAULT, bulk_values, framed_values
from ._sse import decode_sse
from .arrow import EVENT_COLUMNS, to_arrow

if TYPE_CHECKING:
    import pyarrow
    from pyspark.sql.types import StructType

    EVENT_SCHEMA: StructType  # built by event_schema() on first use (module __getattr__)

__all__ = ["EVENT_SCHEMA", "decode_arrow", "decode_values", "event_schema"]

_SSE_STARTS = (b"data:", b"event:", b"id:", b"retry:", b":")


def event_schema() -> StructType:
    """The Spark ``StructType`` of the event rows, derived from the toolkit's ``EVENT_COLUMNS`` (the same
    names, order and types as its Arrow ``EVENT_SCHEMA``; every column nullable)."""
    from pyspark.sql.types import BinaryType, BooleanType, DoubleType, LongType, StringType, StructField, StructType

    types = {
        "string": StringType(),
        "int64": LongType(),
        "double": DoubleType(),
        "bool": BooleanType(),
        "binary": BinaryType(),
    }
    return StructType([StructField(name, types[t], True) for name, t in EVENT_COLUMNS.items()])


def _is_sse(data: bytes) -> bool:
    return data.lstrip(_WS).startswith(_SSE_STARTS)


@overload
def decode_values(values: list[bytes], *, raw: Literal[False] = False) -> list[Any]: ...
@overload
def decode_values(values: list[bytes], *, raw: Literal[True]) -> list[Framed[Any]]: ...
def decode_values(values: list[bytes], *, raw: bool = False) -> list[Any] | list[Framed[Any]]:
    """The events of a list of values (one event per value, or whole NDJSON/SSE files), bad ones as
    :class:`~openresponses_msgspec.InvalidEvent`. One-event values are decoded together, in one call, as the
    Kafka and Redis integrations do (a bad one at ``offset=0`` of its value, ``raw`` the value).
    ``raw=True``: :class:`~openresponses_msgspec.Framed` ``(event, raw)`` pairs, ``raw`` each event's own bytes
    (the value, the NDJSON line, the SSE event's data)."""
    if values and not _is_sse(values[0]):
        out = bulk_values(values, DEFAULT)  # None: a value holds a newline (a file) or none (blank)
        if out is not None:
            return framed_values(out, values) if raw else out
    events: list[Any] = []
    for v in values:
        events += decode_sse(v, errors="replace", raw=raw) if _is_sse(v) else decode_lines(v, errors="replace", raw=raw)
    return events


def _column_bytes(batch: pyarrow.RecordBatch) -> list[bytes]:
    import pyarrow as pa

    # as Any, like arrow.py's `pa`: the stubs leave Array's element type unknown here
    col: Any = cast(Any, batch.column(batch.schema.get_field_index("value")))
    if col.null_count:
        col = col.filter(col.is_valid())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        col = col.cast(pa.large_binary() if pa.types.is_large_string(col.type) else pa.binary())
    return cast("list[bytes]", col.to_pylist())  # nulls filtered out above


def decode_arrow(batches: Iterator[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
    """The ``mapInArrow`` function: batches with a ``value`` column in, event rows (``EVENT_SCHEMA``) out, each
    with its original JSON in ``raw``."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        values = _column_bytes(batch)
        if not values:
            continue
        yield from to_arrow(decode_values(values, raw=True)).to_batches()


def __getattr__(name: str) -> Any:
    if name == "EVENT_SCHEMA":
        return event_schema()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
