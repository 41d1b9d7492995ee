"""Typed msgspec Structs for every Responses-API stream event, decoded straight from bytes.

>>> from openresponses_msgspec import decode
>>> ev = decode(b'{"type":"response.output_text.delta","item_id":"m","output_index":0,'
...             b'"content_index":0,"delta":"Hi","logprobs":[],"sequence_number":3}')
>>> ev.type, ev.delta
('response.output_text.delta', 'Hi')
"""

from __future__ import annotations

from . import _models, corpus
from ._accumulate import PROBLEM_KINDS, Problem, ResponseAccumulator, StreamSplitter, accumulate
from ._builtins import to_builtins
from ._decode import Buffer, encode
from ._decoder import Decoder, Event, Skipped, View, decode, decode_array, decode_lines
from ._errors import DecodeError, InvalidEvent, InvalidValue, UnknownEvent, UnknownValue
from ._files import iter_batches, iter_events
from ._models import *  # noqa: F403 - every generated Struct is public
from ._models import EVENT_TYPES, FAMILIES, StreamEvent
from ._sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder, aiter_sse, decode_sse, iter_sse
from .arrow import EVENT_COLUMNS, RESPONSE_COLUMNS, responses_to_arrow, to_arrow

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "Decoder",
    "Event",
    "Skipped",
    "View",
    "EVENT_TYPES",
    "corpus",
    "FAMILIES",
    "Buffer",
    "DecodeError",
    "EVENT_COLUMNS",
    "PROBLEM_KINDS",
    "Problem",
    "RESPONSE_COLUMNS",
    "ResponseAccumulator",
    "StreamSplitter",
    "accumulate",
    "responses_to_arrow",
    "to_arrow",
    "to_builtins",
    "InvalidEvent",
    "InvalidValue",
    "SSEDecoder",
    "StreamEvent",
    "UnknownEvent",
    "UnknownValue",
    "__version__",
    "aiter_sse",
    "decode",
    "decode_array",
    "decode_lines",
    "decode_sse",
    "encode",
    "iter_batches",
    "iter_events",
    "iter_sse",
] + sorted(n for n in vars(_models) if not n.startswith("_") and n[0].isupper() and n not in ("Any", "Union"))
