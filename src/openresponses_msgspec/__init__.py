"""Typed msgspec Structs for every Responses-API stream event, decoded straight from bytes.

>>> from openresponses_msgspec import decode
>>> ev = decode(b'{"type":"response.output_text.delta","item_id":"m","output_index":0,'
...             b'"content_index":0,"delta":"Hi","logprobs":[],"sequence_number":3}')
>>> ev.type, ev.delta
('response.output_text.delta', 'Hi')
"""

from __future__ import annotations

from . import _models, corpus
from ._decode import Buffer, decode, decode_array, decode_lines, encode
from ._errors import DecodeError, InvalidEvent, UnknownEvent, UnknownValue
from ._models import *  # noqa: F403 - every generated Struct is public
from ._models import EVENT_TYPES, FAMILIES, StreamEvent

__version__ = "0.1.0"

__all__ = [
    "EVENT_TYPES",
    "corpus",
    "FAMILIES",
    "Buffer",
    "DecodeError",
    "InvalidEvent",
    "StreamEvent",
    "UnknownEvent",
    "UnknownValue",
    "__version__",
    "decode",
    "decode_array",
    "decode_lines",
    "encode",
] + sorted(n for n in vars(_models) if not n.startswith("_") and n[0].isupper() and n not in ("Any", "Union"))
