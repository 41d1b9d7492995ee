"""Typed msgspec Structs for every Responses-API stream event, decoded straight from bytes.

API (the model classes follow it):

- ``decode(buf)``, ``decode_lines(buf, errors=...)``, ``decode_array(buf, errors=...)``,
  ``decode_sse(buf, errors=...)``: one event, NDJSON, a JSON array, a whole SSE buffer.
- ``iter_sse(chunks, ...)``, ``aiter_sse(chunks, ...)``, ``SSEDecoder``: SSE as it arrives.
- ``Decoder()``: the class behind those functions, generic in what it returns; projections
  ``Decoder(views=[...])`` (``View``, ``Skipped``) and ``Decoder(only=[...])``; ``Decoder(naming="camel")``.
- ``encode(event)``; ``Event`` (``StreamEvent | UnknownEvent``); ``StreamEvent`` (the union of typed events);
  ``UnknownEvent``, ``UnknownValue``, ``InvalidEvent``, ``DecodeError``.
- ``iter_events``/``iter_batches`` (files and streams), ``ResponseAccumulator``/``accumulate``,
  ``to_builtins``, ``to_arrow``/``responses_to_arrow``.
- ``audit(*files)`` (``AuditReport``, ``AuditFinding``): every wire tag and field the model does not keep.
- ``NATIVE``: whether the C line scanner is active (``docs/native.md``; ``OPENRESPONSES_MSGSPEC_PURE=1`` turns it
  off), else its pure-Python twin: the results are the same.

>>> from openresponses_msgspec import decode
>>> ev = decode(b'{"type":"response.output_text.delta","item_id":"m","output_index":0,'
...             b'"content_index":0,"delta":"Hi","logprobs":[],"sequence_number":3}')
>>> ev.type, ev.delta
('response.output_text.delta', 'Hi')
"""

from __future__ import annotations

# _startup first: Ctrl-C while the command line starts, exit 130
from . import _startup, corpus  # noqa: F401  # pyright: ignore[reportUnusedImport]

# isort: split
from . import _models
from ._accumulate import (
    PROBLEM_KINDS,
    InjectEvent,
    Problem,
    ResponseAccumulator,
    Status,
    SteerEvent,
    StreamSplitter,
    accumulate,
)
from ._audit import AuditFinding, AuditReport, audit
from ._builtins import to_builtins
from ._bytes import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_SIZE
from ._conformance import RULES, ConformanceChecker, Rule, Violation, check_events
from ._decoder import Decoder, Event, Framed, Skipped, View, decode, decode_array, decode_lines
from ._errors import DecodeError, InvalidEvent, InvalidValue, MissingExtraError, UnknownEvent, UnknownValue
from ._files import iter_batches, iter_events
from ._jobs import map_batches
from ._kernel import Buffer, encode
from ._models import *  # noqa: F403 - every generated Struct is public (_models.__all__)
from ._scan import NATIVE
from ._sse import SSEDecoder, aiter_sse, decode_sse, iter_sse
from ._telemetry import (
    GENAI_SEMCONV_VERSION,
    AttributeValue,
    GenAITelemetry,
    Measurement,
    genai_telemetry,
    record_genai,
)
from .arrow import EVENT_COLUMNS, RESPONSE_COLUMNS, responses_to_arrow, to_arrow

__version__ = "0.1.0"

__all__ = [
    "NATIVE",
    "Decoder",
    "Event",
    "Skipped",
    "View",
    "decode",
    "decode_lines",
    "decode_array",
    "decode_sse",
    "SSEDecoder",
    "iter_sse",
    "aiter_sse",
    "encode",
    "Framed",
    "iter_events",
    "iter_batches",
    "map_batches",
    "DEFAULT_MAX_EVENT_SIZE",
    "DEFAULT_MAX_LINE_SIZE",
    "corpus",
    "Buffer",
    "DecodeError",
    "EVENT_COLUMNS",
    "PROBLEM_KINDS",
    "Problem",
    "RESPONSE_COLUMNS",
    "ResponseAccumulator",
    "Status",
    "SteerEvent",
    "InjectEvent",
    "StreamSplitter",
    "accumulate",
    "RULES",
    "ConformanceChecker",
    "Rule",
    "Violation",
    "check_events",
    "GENAI_SEMCONV_VERSION",
    "AttributeValue",
    "GenAITelemetry",
    "Measurement",
    "genai_telemetry",
    "record_genai",
    "responses_to_arrow",
    "to_arrow",
    "to_builtins",
    "InvalidEvent",
    "InvalidValue",
    "MissingExtraError",
    "UnknownEvent",
    "UnknownValue",
    "__version__",
    "audit",
    "AuditFinding",
    "AuditReport",
]
__all__ += _models.__all__  # the generated model: every Struct, union and tag map, and the names of 0.1.0
